import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { checkHealth, createHealth, modelHealthService } from '../../../src/health/index.js';

const cleanup: (() => void)[] = [];
afterEach(() => { for (const f of cleanup.splice(0)) f(); });

async function healthServer(): Promise<{ address: string; health: ReturnType<typeof createHealth> }> {
  const health = createHealth(['m']);
  const server = new grpc.Server();
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  cleanup.push(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, health };
}
async function deadAddress(): Promise<string> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(`127.0.0.1:${port}`));
    });
  });
}
function runProbe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/health/probe.ts', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('checkHealth', () => {
  it('reports SERVING, NOT_SERVING, SERVICE_UNKNOWN and UNREACHABLE without throwing', async () => {
    const { address, health } = await healthServer();
    expect(await checkHealth(address)).toBe('NOT_SERVING');
    health.setOverall(true);
    expect(await checkHealth(address)).toBe('SERVING');
    expect(await checkHealth(address, { service: modelHealthService('m') })).toBe('NOT_SERVING');
    expect(await checkHealth(address, { service: 'other' })).toBe('SERVICE_UNKNOWN');
    expect(await checkHealth(await deadAddress(), { timeoutMs: 1000 })).toBe('UNREACHABLE');
  });
});

describe('health probe CLI', () => {
  it('exits 0 while SERVING and 1 when NOT_SERVING or unreachable', async () => {
    const { address, health } = await healthServer();
    const notServing = await runProbe([address]);
    expect(notServing.code).toBe(1);
    expect(notServing.stderr).toContain('NOT_SERVING');
    health.setOverall(true);
    expect((await runProbe([address])).code).toBe(0);
    expect((await runProbe([await deadAddress()])).code).toBe(1);
  });
});
