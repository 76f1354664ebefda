/**
 * `node dist/bench/cache/cluster-mget.js [--quick] [--rounds N]`: how to read many cache keys from a Redis
 * Cluster, where one MGET over keys in different hash slots fails (CROSSSLOT). Against a real local
 * 3-master cluster, for 1, 8, 32 and 128 keys per read, it compares
 *   - `cluster GET x N`: one GET per key, auto-pipelined (ioredis writes one batch per master per tick);
 *   - `cluster MGET per slot`: keys grouped by hash slot, one MGET per slot, auto-pipelined the same way;
 *   - `cluster pipeline per master`: keys grouped by the master serving their slot, one explicit pipeline of
 *     GETs per master (what auto-pipelining builds, without its per-command bookkeeping);
 *   - `single MGET`: one MGET on one redis-server (today's L2, the baseline);
 *   - `store (cluster)` / `store (single)`: RedisStore.getMany, the path the service takes (routing per
 *     master, breakers, envelope opening), on each.
 * Latency is one caller issuing reads back to back (p50/p99 per read); throughput is 16 callers at once
 * (keys/s). Strategies alternate within every round and the figures are medians over rounds, so drift of
 * the shared machine hits them alike. Prints one markdown table.
 */
import { randomBytes } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import { connectRedis, nodeOfKey } from '../../src/cache/redis-connection.js';
import { RedisStore } from '../../src/cache/redis-store.js';
import { setLogLevel } from '../../src/logging/logger.js';
import { seededRandom } from '../../src/repository/sample-inputs.js';
import { stopChildrenOnSignals } from '../harness/child-processes.js';
import { startRedis } from '../harness/redis-process.js';
import { startRedisCluster } from '../harness/redis-cluster-process.js';
import { percentile } from '../load/latency-stats.js';

type Read = (keys: readonly string[]) => Promise<unknown[]>;

interface Strategy {
  readonly name: string;
  /** Keys this strategy reads (raw values for the client strategies, sealed ones for the stores). */
  readonly keys: readonly string[];
  readonly read: Read;
}

const KEY_COUNTS = [1, 8, 32, 128] as const;
const POPULATION = 20_000;
const VALUE_BYTES = 64; // about one cached row of the bundled MLPs with its envelope and key tag
const CONCURRENCY = 16;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Reads keys grouped by hash slot: one MGET per slot, answers put back in key order. */
function mgetPerSlot(cluster: Cluster): Read {
  return async (keys) => {
    const bySlot = new Map<number, number[]>();
    keys.forEach((k, i) => {
      const slot = calculateSlot(k);
      const g = bySlot.get(slot);
      if (g) g.push(i); else bySlot.set(slot, [i]);
    });
    const out = new Array<Buffer | null>(keys.length);
    await Promise.all([...bySlot.values()].map(async (idx) => {
      const values = await cluster.mgetBuffer(idx.map((i) => keys[i] as string));
      values.forEach((v, j) => { out[idx[j] as number] = v; });
    }));
    return out;
  };
}

/** Reads keys grouped by the master serving them: one explicit pipeline of GETs per master. */
function pipelinePerMaster(cluster: Cluster): Read {
  return async (keys) => {
    const byNode = new Map<string | undefined, number[]>();
    keys.forEach((k, i) => {
      const node = nodeOfKey(cluster, k);
      const g = byNode.get(node);
      if (g) g.push(i); else byNode.set(node, [i]);
    });
    const out = new Array<Buffer | null>(keys.length);
    await Promise.all([...byNode.values()].map(async (idx) => {
      const p = cluster.pipeline();
      for (const i of idx) p.getBuffer(keys[i] as string);
      const results = (await p.exec()) ?? [];
      results.forEach(([err, v], j) => {
        if (err) throw err;
        out[idx[j] as number] = v as Buffer | null;
      });
    }));
    return out;
  };
}

function pick(keys: readonly string[], n: number, rand: () => number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add(keys[Math.floor(rand() * keys.length)] as string);
  return [...out];
}

/** Back-to-back reads by one caller: microseconds per read. */
async function latencyRun(s: Strategy, n: number, calls: number, rand: () => number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const keys = pick(s.keys, n, rand);
    const t0 = performance.now();
    const got = await s.read(keys);
    samples.push((performance.now() - t0) * 1000);
    if (got.some((v) => v === null || v === undefined)) throw new Error(`${s.name}: a populated key read as a miss`);
  }
  return samples;
}

/** CONCURRENCY callers sharing `calls` reads: keys per second. */
async function throughputRun(s: Strategy, n: number, calls: number, rand: () => number): Promise<number> {
  const batches = Array.from({ length: calls }, () => pick(s.keys, n, rand));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < batches.length) await s.read(batches[next++] as string[]);
  }));
  return (calls * n) / ((performance.now() - t0) / 1000);
}

const median = (xs: readonly number[]): number => percentile([...xs].sort((a, b) => a - b), 50);

async function main(): Promise<void> {
  stopChildrenOnSignals();
  setLogLevel('silent');
  const quick = process.argv.includes('--quick');
  const rounds = Number(arg('--rounds') ?? (quick ? 3 : 7));
  const rand = seededRandom(20261201);
  process.stderr.write('starting a 3-master redis cluster and a single redis-server...\n');
  const [cluster, single] = await Promise.all([startRedisCluster(), startRedis()]);
  const clients: { close(): Promise<void> | void }[] = [];
  try {
    const clusterClient = connectRedis(cluster.url, { commandTimeoutMs: 2000, maxReconnectDelayMs: 1000 });
    const singleClient = connectRedis(single.url, { commandTimeoutMs: 2000, maxReconnectDelayMs: 1000 }) as Redis;
    if (!(clusterClient instanceof Cluster)) throw new Error('expected a cluster client');
    clients.push({ close: () => clusterClient.disconnect() }, { close: () => singleClient.disconnect() });
    const storeOpts = { keyPrefix: 'bench:store:', readTimeoutMs: 2000, commandTimeoutMs: 2000, compression: { thresholdBytes: 256, minSavingRatio: 0.1 }, breakerFailureThreshold: 5, breakerOpenMs: 5000 };
    const clusterStore = new RedisStore({ url: cluster.url, ...storeOpts });
    const singleStore = new RedisStore({ url: single.url, ...storeOpts });
    clients.push(clusterStore, singleStore);
    await Promise.all([clusterStore.waitReady(10_000), singleStore.waitReady(10_000), new Promise((r) => clusterClient.once('ready', r))]);

    process.stderr.write(`populating ${POPULATION} keys of ${VALUE_BYTES} bytes on each...\n`);
    const rawKeys = Array.from({ length: POPULATION }, (_, i) => `bench:raw:${i.toString(36)}:${randomBytes(8).toString('hex')}`);
    const storeKeys = rawKeys.map((k) => k.slice('bench:raw:'.length));
    for (let i = 0; i < POPULATION; i += 500) {
      const chunk = rawKeys.slice(i, i + 500);
      await Promise.all(chunk.flatMap((k) => {
        const v = randomBytes(VALUE_BYTES);
        return [clusterClient.set(k, v, 'EX', 3600), singleClient.set(k, v, 'EX', 3600)];
      }));
      await Promise.all(storeKeys.slice(i, i + 500).flatMap((k) => {
        const v = randomBytes(VALUE_BYTES - 8);
        return [clusterStore.set(k, v, 3600), singleStore.set(k, v, 3600)];
      }));
    }

    const strategies: Strategy[] = [
      { name: 'cluster GET x N', keys: rawKeys, read: (keys) => Promise.all(keys.map((k) => clusterClient.getBuffer(k))) },
      { name: 'cluster MGET per slot', keys: rawKeys, read: mgetPerSlot(clusterClient) },
      { name: 'cluster pipeline per master', keys: rawKeys, read: pipelinePerMaster(clusterClient) },
      { name: 'single MGET', keys: rawKeys, read: (keys) => singleClient.mgetBuffer(keys as string[]) },
      { name: 'store (cluster)', keys: storeKeys, read: (keys) => clusterStore.getMany(keys) },
      { name: 'store (single)', keys: storeKeys, read: (keys) => singleStore.getMany(keys) },
    ];
    const rows: string[] = [];
    for (const n of KEY_COUNTS) {
      const latencyCalls = Math.max(50, Math.round((quick ? 3000 : 8000) / Math.sqrt(n) / 4));
      const throughputCalls = Math.max(100, Math.round((quick ? 20_000 : 60_000) / n));
      const lat = new Map<string, { p50: number[]; all: number[]; rate: number[] }>(strategies.map((s) => [s.name, { p50: [], all: [], rate: [] }]));
      // Warm-up: connections, JIT, auto-pipelining paths.
      for (const s of strategies) await latencyRun(s, n, 20, rand);
      for (let r = 0; r < rounds; r++) {
        // Rotate the order each round so no strategy always runs first (or right after the heaviest one).
        const order = strategies.map((_, i) => strategies[(i + r) % strategies.length] as Strategy);
        for (const s of order) {
          const m = lat.get(s.name)!;
          const samples = await latencyRun(s, n, latencyCalls, rand);
          m.p50.push(median(samples));
          m.all.push(...samples);
          m.rate.push(await throughputRun(s, n, throughputCalls, rand));
        }
        process.stderr.write(`${n} keys: round ${r + 1}/${rounds}\n`);
      }
      for (const s of strategies) {
        const m = lat.get(s.name)!;
        const p99 = percentile([...m.all].sort((a, b) => a - b), 99);
        rows.push(`| ${n} | ${s.name} | ${median(m.p50).toFixed(0)} | ${p99.toFixed(0)} | ${Math.round(median(m.rate)).toLocaleString('en-US')} |`);
      }
    }
    process.stdout.write([
      `Redis Cluster multi-key reads: 3 masters on loopback, ${POPULATION} keys of ${VALUE_BYTES} B, every key a hit; ${rounds} rounds, medians.`,
      '',
      `| keys per read | strategy | p50 us (1 caller) | p99 us (1 caller) | keys/s (${CONCURRENCY} callers) |`,
      '|---:|---|---:|---:|---:|',
      ...rows,
      '',
    ].join('\n'));
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all([cluster.stop(), single.stop()]);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`cluster-mget: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
