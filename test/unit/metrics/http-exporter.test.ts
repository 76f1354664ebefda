import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { registry, metrics } from '../../../src/metrics/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../../src/metrics/http-exporter.js';

const open: MetricsServer[] = [];
afterEach(async () => { for (const s of open.splice(0)) await s.close(); });

async function start(address = '127.0.0.1:0'): Promise<MetricsServer> {
  const s = await startMetricsServer(address, registry);
  open.push(s);
  return s;
}
function request(address: string, method: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics HTTP exporter', () => {
  it('binds port 0 to a free port and reports the bound host:port', async () => {
    const s = await start();
    expect(s.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(s.address).not.toBe('127.0.0.1:0');
  });

  it('serves the registry in Prometheus text format at GET /metrics', async () => {
    const s = await start();
    metrics.requests.inc({ model: 'exporter-test', code: 'OK' }, 3);
    const res = await request(s.address, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toBe(registry.contentType);
    expect(res.body).toContain('# TYPE hub_requests_total counter');
    expect(res.body).toContain('hub_requests_total{model="exporter-test",code="OK"} 3');
    expect(res.body).toContain('hub_nodejs_eventloop_lag_seconds');
    expect((await request(s.address, 'GET', '/metrics?x=1')).status).toBe(200);
  });

  it('answers 404 for other paths and methods', async () => {
    const s = await start();
    expect((await request(s.address, 'GET', '/')).status).toBe(404);
    expect((await request(s.address, 'GET', '/metricsx')).status).toBe(404);
    expect((await request(s.address, 'POST', '/metrics')).status).toBe(404);
  });

  it('rejects with the address when the port is taken', async () => {
    const s = await start();
    await expect(startMetricsServer(s.address, registry)).rejects.toThrow(s.address);
  });

  it('close() frees the port', async () => {
    const s = await startMetricsServer('127.0.0.1:0', registry);
    const port = Number(s.address.split(':')[1]);
    await s.close();
    await new Promise<void>((resolve, reject) => {
      const probe = net.createServer().once('error', reject).listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });
});
