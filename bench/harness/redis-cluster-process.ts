/**
 * Starts a throwaway 3-master Redis Cluster (no replicas, no persistence) on free loopback ports for the L2
 * benchmarks: three redis-server processes with cluster mode on and their own cluster-bus ports, slots
 * assigned by `redis-cli --cluster create`, ready once every node reports `cluster_state:ok`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { ChildProcess } from 'node:child_process';
import { spawnTracked, stopChild } from './child-processes.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** A running cluster. */
export interface RedisClusterHandle {
  /** `redis+cluster://127.0.0.1:P1,...` (REDIS_URL form). */
  readonly url: string;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

function waitReady(child: ChildProcess): Promise<void> {
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not become ready in 10 s')), 10_000);
    lines.on('line', (line) => { if (/Ready to accept connections/i.test(line)) { clearTimeout(timer); resolve(); } });
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited with code ${code}`)); });
  });
}

async function waitClusterOk(port: number): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      if (/cluster_state:ok/.test(String(await client.cluster('INFO')))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis cluster node ${port} not ok within 20 s`);
  } finally {
    client.disconnect();
  }
}

/** Starts the cluster (needs redis-server and redis-cli on PATH). */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hub-bench-cluster-'));
  const ports = new Set<number>();
  while (ports.size < masters * 2) ports.add(await freePort());
  const all = [...ports];
  const dataPorts = all.slice(0, masters);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((c) => stopChild(c, 1_000)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = dataPorts[i] as number;
      const child = spawnTracked('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-port', String(all[masters + i]), '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
      ]);
      children.push(child);
      await waitReady(child);
    }
    await run('redis-cli', ['--cluster', 'create', ...dataPorts.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    await Promise.all(dataPorts.map(waitClusterOk));
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `redis+cluster://${dataPorts.map((p) => `127.0.0.1:${p}`).join(',')}`, ports: dataPorts, stop };
}
