/**
 * RedisStore on a real 3-master Redis Cluster (`redis+cluster://` URL): the shared CacheStore suite; a read
 * of keys spread over every master, which one MGET cannot do (CROSSSLOT); and the loss of one master: its
 * keys become fast misses and dropped writes, its breaker alone opens, the other masters keep their hits,
 * and its keys are cached again once it is back.
 */
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../../src/config/redis-url.js';
import { RedisStore, type RedisStoreOptions } from '../../../src/cache/redis-store.js';
import { eventually, newTestStore } from '../../helpers/redis-store-fixture.js';
import { metrics } from '../../../src/metrics/metrics.js';
import { setLogLevel } from '../../../src/logging/logger.js';
import { cacheStoreTests } from '../../helpers/cache-store-suite.js';
import { startRedisCluster, type TestRedisCluster } from '../../helpers/redis-cluster.js';
import { RedisUsageStore } from '../../../src/residency/redis-usage-store.js';
import { ModelUsage } from '../../../src/residency/usage-predictor.js';

setLogLevel('silent');

let cluster: TestRedisCluster;
let raw: Cluster;
const stores: RedisStore[] = [];

/** A raw cluster client on the seeds of `url` (plants values, checks what the store cannot). */
function rawClient(url: string): Cluster {
  const target = parseRedisUrl(url);
  if (target.kind !== 'cluster') throw new Error('expected a cluster URL');
  const c = new Cluster(target.seeds.map((s) => ({ ...s })), { redisOptions: { maxRetriesPerRequest: 1 } });
  c.on('error', () => undefined);
  return c;
}

beforeAll(async () => {
  cluster = await startRedisCluster();
  raw = rawClient(cluster.url);
});

afterAll(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  raw?.disconnect();
  await cluster?.stop();
});

const makeStore = (url: string, overrides: Partial<RedisStoreOptions> = {}): Promise<RedisStore> => newTestStore(url, stores, overrides);

cacheStoreTests({
  name: 'RedisStore on a Redis Cluster (L2)',
  create: ({ maxValueBytes }) => makeStore(cluster.url, { maxValueBytes }),
  plant: async (store, key, bytes) => {
    await raw.set((store as RedisStore).keyPrefix + key, Buffer.from(bytes), 'EX', 60);
  },
});

describe('usage history (residency) on a Redis Cluster', () => {
  it('round-trips usage snapshots through the cluster: every usage key shares one slot, so MULTI works', async () => {
    const store = new RedisUsageStore(cluster.url, `test:${process.pid}:`);
    try {
      const u = new ModelUsage(900, 0);
      for (let t = 0; t < 3_600_000; t += 10_000) { u.record(t, 2); if (t % 60_000 === 0) u.fold(t); }
      const snap = u.snapshot(3_600_000);
      await store.save({ 'tenant-a': snap, 'tenant-b': snap });
      const back = await store.load();
      expect(Object.keys(back).sort()).toEqual(['tenant-a', 'tenant-b']);
      expect(back['tenant-a']?.total).toBe(snap.total);
    } finally {
      await store.close();
    }
  });
});

describe('RedisStore multi-key reads on a Redis Cluster', () => {
  it('reads 128 keys spread over all three masters in one getMany, where one MGET fails with CROSSSLOT', async () => {
    const s = await makeStore(cluster.url);
    const keys = Array.from({ length: 128 }, (_, i) => `row-${i}`);
    const owner = await cluster.slotOwners();
    expect(new Set(keys.map((k) => owner(calculateSlot(s.keyPrefix + k)))).size).toBe(3);
    await Promise.all(keys.map((k, i) => s.set(k, Uint8Array.of(i), 60)));
    // The problem being solved: the server refuses a multi-slot MGET (ioredis refuses it first when pipelined).
    const direct = new Redis({ host: '127.0.0.1', port: cluster.nodes[0]!.port, maxRetriesPerRequest: 1 });
    try {
      await expect(direct.mgetBuffer(keys.map((k) => s.keyPrefix + k))).rejects.toThrow(/CROSSSLOT/);
    } finally {
      direct.disconnect();
    }
    const got = await s.getMany([...keys, 'absent']);
    expect(got.slice(0, 128).map((v) => v?.[0])).toEqual(keys.map((_, i) => i));
    expect(got[128]).toBeUndefined();
    expect(s.stats()).toMatchObject({ hits: 128, misses: 1, errors: 0, timeouts: 0, skipped: 0 });
    expect(Object.keys(s.breakers()).sort()).toEqual(cluster.nodes.map((n) => `127.0.0.1:${n.port}`).sort());
    // Closed now: the breaker gauges are process-wide, and the next test reads them for its own store.
    await s.close();
  });
});

describe('RedisStore when one master of the cluster is lost', () => {
  let own: TestRedisCluster;
  beforeAll(async () => { own = await startRedisCluster(); });
  afterAll(async () => { await own?.stop(); });

  it('answers the lost master\'s keys as fast misses and opens only its breaker; the others keep their hits; its keys cache again when it returns', async () => {
    const s = await makeStore(own.url, { readTimeoutMs: 1000, commandTimeoutMs: 250, breakerOpenMs: 300 });
    const owner = await own.slotOwners();
    const lost = own.nodes[2]!.port;
    const keys = Array.from({ length: 90 }, (_, i) => `k-${i}`);
    const onLost = (k: string): boolean => owner(calculateSlot(s.keyPrefix + k)) === lost;
    const survivors = keys.filter((k) => !onLost(k));
    const gone = keys.filter(onLost);
    expect(gone.length).toBeGreaterThan(0);
    await Promise.all(keys.map((k, i) => s.set(k, Uint8Array.of(i), 60)));
    expect((await s.getMany(keys)).every((v) => v !== undefined)).toBe(true);

    await own.kill(2);
    let slowest = 0;
    for (let round = 0; round < 20; round++) {
      const t0 = performance.now();
      const got = await s.getMany(keys);
      slowest = Math.max(slowest, performance.now() - t0);
      keys.forEach((k, i) => {
        if (onLost(k)) expect(got[i], `${k} on the lost master`).toBeUndefined();
        else expect(got[i]?.[0], `${k} on a surviving master, round ${round}`).toBe(i);
      });
    }
    // Misses because the master is gone, not because the 1,000 ms read budget ran out.
    expect(slowest).toBeLessThan(500);
    const b = s.breakers();
    expect(b[`127.0.0.1:${lost}`]).not.toBe('closed');
    for (const n of own.nodes.slice(0, 2)) expect(b[`127.0.0.1:${n.port}`]).toBe('closed');
    expect(s.stats().skipped).toBeGreaterThan(0); // the open breaker stopped asking for the lost master's keys
    expect(s.stats().timeouts).toBe(0);
    const nodes = Object.fromEntries((await metrics.redisNodes.get()).values.map((v) => [v.labels['state'], v.value]));
    expect(nodes['closed']).toBe(2);
    expect((nodes['open'] ?? 0) + (nodes['half-open'] ?? 0)).toBe(1);
    expect((await metrics.redisBreakerState.get()).values[0]?.value).toBeGreaterThan(0);
    // Writes: the surviving masters take them, the lost master's are dropped.
    expect(await s.set(survivors[0]!, Uint8Array.of(200), 60)).toBe(true);
    expect(await s.set(gone[0]!, Uint8Array.of(201), 60)).toBe(false);
    expect((await s.get(survivors[0]!))?.[0]).toBe(200);

    // Back (empty: no persistence): the breaker's trial finds it, and its keys are cached again.
    await own.restart(2);
    await eventually(async () => (await s.set(gone[0]!, Uint8Array.of(202), 60)) && (await s.get(gone[0]!))?.[0] === 202, 'the returned master caches again');
    expect(s.breakers()[`127.0.0.1:${lost}`]).toBe('closed');
    expect(s.breakerState).toBe('closed');
  });
});
