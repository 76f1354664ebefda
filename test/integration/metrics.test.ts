/**
 * /metrics of a real server: every documented family is exposed, and the batching and cache figures move
 * the way docs/metrics.md says when the client SDK sends traffic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InferenceClient } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';

const documented = [...readFileSync('docs/metrics.md', 'utf8').matchAll(/^\| `(hub_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!);
const scoring = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');

/** Sum of the samples of `name` whose labels include every `labels` pair. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  return text.split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
}

describe('metrics endpoint of a real server', () => {
  let srv: TestServer;
  let client: InferenceClient;
  const scrape = async (): Promise<string> => (await fetch(`http://${srv.app.metricsAddress}/metrics`)).text();

  beforeAll(async () => {
    srv = await startTestServer({ config: { metricsAddress: '127.0.0.1:0', workers: 1, preloadTop: 2 } });
    client = new InferenceClient({ targets: srv.address });
  });
  afterAll(async () => {
    client?.close();
    await srv?.close();
  });

  it('exposes every metric family documented in docs/metrics.md, in Prometheus text format', async () => {
    const res = await fetch(`http://${srv.app.metricsAddress}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    expect(documented.length).toBeGreaterThan(40);
    expect(documented.filter((n) => !exposed.has(n))).toEqual([]);
    expect((await fetch(`http://${srv.app.metricsAddress}/`)).status).toBe(404);
  });

  it('counts engine rows and runs, and per-row L1 hits for repeated rows', async () => {
    const inputs = sampleInputs(scoring, 6, 2024);
    const features = { data: new Float32Array(new Uint8Array(inputs['features']!.data).buffer), shape: inputs['features']!.shape };
    const before = await scrape();
    const first = await client.predict({ model: 'lead-scoring', variant: 'fp32', inputs: { features } });
    const mid = await scrape();
    const second = await client.predict({ model: 'lead-scoring', variant: 'fp32', inputs: { features } });
    const after = await scrape();
    const l = { model: 'lead-scoring', variant: 'fp32' };
    expect(first.cachedRows).toBe(0);
    expect(sample(mid, 'hub_inference_rows_total', l) - sample(before, 'hub_inference_rows_total', l)).toBe(6);
    expect(sample(mid, 'hub_executions_total', l) - sample(before, 'hub_executions_total', l)).toBe(1);
    expect(sample(mid, 'hub_batch_size_rows_count', l) - sample(before, 'hub_batch_size_rows_count', l)).toBe(1);
    expect(second.cachedRows).toBe(6);
    const hits = { model: 'lead-scoring', tier: 'l1', result: 'hit' };
    expect(sample(after, 'hub_cache_requests_total', hits) - sample(mid, 'hub_cache_requests_total', hits)).toBe(6);
    expect(sample(after, 'hub_inference_rows_total', l)).toBe(sample(mid, 'hub_inference_rows_total', l));
    const ok = { model: 'lead-scoring', code: 'OK' };
    expect(sample(after, 'hub_requests_total', ok) - sample(before, 'hub_requests_total', ok)).toBe(2);
    expect(sample(after, 'hub_engine_workers')).toBe(1);
  });
});
