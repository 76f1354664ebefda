/** Starts a throwaway redis-server on a free loopback port (no persistence) for the L2 cache runs. */
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, stopChild } from './child-processes.js';
import { freePort } from './free-port.js';

/** A running redis-server. */
export interface RedisHandle {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts redis-server and resolves when it accepts connections. */
export async function startRedis(binary = 'redis-server'): Promise<RedisHandle> {
  const port = await freePort();
  const child = spawnTracked(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not become ready in 10 s')), 10_000);
    lines.on('line', (line) => { if (/Ready to accept connections/i.test(line)) { clearTimeout(timer); resolve(); } });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited with code ${code}`)); });
  }).catch(async (e: unknown) => { await stopChild(child, 1_000); throw e; });
  return { url: `redis://127.0.0.1:${port}`, child, stop: () => stopChild(child, 3_000) };
}
