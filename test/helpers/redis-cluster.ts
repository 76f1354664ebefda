/**
 * A real Redis Cluster for tests: three masters and no replicas on free 127.0.0.1 ports, each with its own
 * free cluster-bus port (`cluster-port`: the default port + 10000 overflows for ephemeral ports), its
 * nodes.conf in a private temporary directory, persistence off. `redis-cli --cluster create` assigns the
 * slots; the harness then waits until every node reports `cluster_state:ok`.
 *
 * `cluster-require-full-coverage no` is what the README recommends for a cache: when a master without a
 * replica is lost, only its slots stop answering; with the default (`yes`) every node refuses every key
 * once the loss is detected, and the whole L2 is gone until the master returns.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, launch, waitExit } from './redis-server.js';

const run = promisify(execFile);

/** One master of the test cluster. */
export interface ClusterNodeProcess {
  readonly port: number;
  /** False once killed. */
  readonly alive: boolean;
}

/** A running test cluster. */
export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3` (every master a seed). */
  readonly url: string;
  readonly nodes: readonly ClusterNodeProcess[];
  /** SIGKILL master `index` (a crash: its slots stay assigned to it and stop answering). */
  kill(index: number): Promise<void>;
  /** Starts killed master `index` again on its port and nodes.conf (it rejoins with its slots, empty), until the cluster is ok. */
  restart(index: number): Promise<void>;
  /** The port of the master serving each slot, as CLUSTER SLOTS on a live node says now. */
  slotOwners(): Promise<(slot: number) => number>;
  /** Kills every node and removes the temporary directory. */
  stop(): Promise<void>;
}

/** Options of the test cluster. */
export interface RedisClusterOptions {
  /** `cluster-node-timeout` in ms: how long until the others mark a silent master as failed (default 2000). */
  readonly nodeTimeoutMs?: number;
}

const MASTERS = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `count` distinct free ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Polls CLUSTER INFO on `port` until it says cluster_state:ok (bounded). */
async function waitClusterOk(port: number, boundMs: number): Promise<void> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const end = Date.now() + boundMs;
    let info = '';
    while (Date.now() < end) {
      info = String(await client.cluster('INFO'));
      if (/cluster_state:ok/.test(info)) return;
      await sleep(50);
    }
    throw new Error(`redis cluster node ${port} not ok within ${boundMs} ms:\n${info}`);
  } finally {
    client.disconnect();
  }
}

async function startOnce(dir: string, nodeTimeoutMs: number): Promise<TestRedisCluster> {
  const ports = await freePorts(MASTERS * 2);
  const dataPorts = ports.slice(0, MASTERS);
  const argsOf = (i: number): string[] => [
    '--cluster-enabled', 'yes', '--cluster-port', String(ports[MASTERS + i]),
    '--cluster-config-file', path.join(dir, `nodes-${dataPorts[i]}.conf`), '--dir', dir,
    '--cluster-node-timeout', String(nodeTimeoutMs), '--cluster-require-full-coverage', 'no',
  ];
  const children: (ChildProcess | undefined)[] = [];
  const killAll = async (): Promise<void> => {
    await Promise.all(children.map(async (c) => {
      if (!c) return;
      c.kill('SIGKILL');
      await waitExit(c);
    }));
  };
  try {
    for (let i = 0; i < MASTERS; i++) children.push(await launch(dataPorts[i] as number, argsOf(i)));
    await run('redis-cli', ['--cluster', 'create', ...dataPorts.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 })
      .catch((e: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`redis-cli --cluster create failed (redis-cli ships in Debian's redis-tools): ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      });
    await Promise.all(dataPorts.map((p) => waitClusterOk(p, 20_000)));
  } catch (e) {
    await killAll();
    throw e;
  }
  const alive = dataPorts.map(() => true);
  return {
    url: `redis+cluster://${dataPorts.map((p) => `127.0.0.1:${p}`).join(',')}`,
    nodes: dataPorts.map((port, i) => ({ port, get alive() { return alive[i] as boolean; } })),
    kill: async (index) => {
      const c = children[index];
      if (!c) throw new Error(`no cluster node ${index}`);
      children[index] = undefined;
      alive[index] = false;
      c.kill('SIGKILL');
      await waitExit(c);
    },
    slotOwners: async () => {
      const port = dataPorts.find((_, i) => alive[i]);
      if (port === undefined) throw new Error('no live cluster node');
      const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
      client.on('error', () => undefined);
      try {
        const ranges = await client.cluster('SLOTS');
        return (slot) => {
          const owner = ranges.find(([lo, hi]) => slot >= lo && slot <= hi)?.[2];
          if (!owner) throw new Error(`slot ${slot} has no master`);
          return owner[1];
        };
      } finally {
        client.disconnect();
      }
    },
    restart: async (index) => {
      if (children[index]) throw new Error(`cluster node ${index} is running`);
      children[index] = await launch(dataPorts[index] as number, argsOf(index));
      alive[index] = true;
      await Promise.all(dataPorts.map((p) => waitClusterOk(p, 20_000)));
    },
    stop: async () => {
      await killAll();
      children.fill(undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a 3-master cluster on free ports. Call `stop()` in afterAll. */
export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hub-redis-cluster-'));
  let lastError: unknown;
  // A port may be taken between probing and binding: try again on new ones.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(dir, opts.nodeTimeoutMs ?? 2000);
    } catch (e) {
      lastError = e;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}
