/**
 * The two-tier cache over a real Redis: L2 hits are shared between cache instances (as between server
 * processes) and promoted into L1; with Redis killed, lookups still resolve with misses and L1 keeps
 * answering; after a restart, L2 hits resume.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPredictionCache, type TwoTierCache } from '../../../src/cache/index.js';
import type { CachedRow, RowCacheOptions, RowKeyContext } from '../../../src/cache/prediction-cache.js';
import { loadServiceConfig } from '../../../src/config/service-config.js';
import type { HostTensor } from '../../../src/tensor/tensor.js';
import { setLogLevel } from '../../../src/logging/logger.js';
import { startRedis, type TestRedis } from '../../helpers/redis-server.js';

const ctx: RowKeyContext = { model: 'lead-intent', version: '1', variant: 'int8', outputs: ['logits'] };
const opts: RowCacheOptions = { ttlSeconds: 300, policy: 'default' };
const ids = (rows: number[][]): HostTensor => ({ dtype: 'int64', shape: [rows.length, rows[0]!.length], data: new Uint8Array(BigInt64Array.from(rows.flat().map(BigInt)).buffer) });
const logits = (seed: number): CachedRow => ({ logits: { dtype: 'float32', shape: [1, 8], data: new Uint8Array(Float32Array.from({ length: 8 }, (_, i) => seed + i / 8).buffer) } });
const first = (r: CachedRow | undefined): number | undefined => (r ? new Float32Array(r['logits']!.data.buffer)[0] : undefined);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

setLogLevel('silent');

let redis: TestRedis;
let prefix: string;
const caches: TwoTierCache[] = [];

function cache(config: Record<string, unknown> = {}): TwoTierCache {
  const c = createPredictionCache(loadServiceConfig({}, {
    logLevel: 'silent', redisUrl: redis.url, 'cache.redisKeyPrefix': prefix, 'cache.redisReadTimeoutMs': 1000,
    'cache.breakerOpenMs': 200, 'cache.breakerFailureThreshold': 3, ...config,
  }));
  caches.push(c);
  return c;
}

async function ready(c: TwoTierCache): Promise<void> {
  expect(await c.l2!.waitReady(10_000)).toBe(true);
}

beforeAll(async () => {
  redis = await startRedis();
  prefix = `test:${randomUUID()}:`;
});

afterAll(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
  await redis.stop();
});

describe('TwoTierCache with Redis', () => {
  it('shares rows between two instances through L2 and promotes them into L1', async () => {
    const a = cache();
    const b = cache();
    await Promise.all([ready(a), ready(b)]);
    const keys = a.rowKeys(ctx, { input_ids: ids([[1, 2, 3], [4, 5, 6]]), attention_mask: ids([[1, 1, 0], [1, 0, 0]]) }, 2);
    expect(b.rowKeys(ctx, { attention_mask: ids([[1, 1, 0], [1, 0, 0]]), input_ids: ids([[1, 2, 3], [4, 5, 6]]) }, 2)).toEqual(keys);
    a.setRows('lead-intent', [{ key: keys[0]!, row: logits(10) }, { key: keys[1]!, row: logits(20) }], opts);
    await a.flush();
    expect((await b.getRows('lead-intent', keys, opts)).map(first)).toEqual([10, 20]);
    expect(b.stats()).toMatchObject({ l1: { hits: 0, misses: 2 }, l2: { hits: 2, misses: 0 } });
    expect((await b.getRows('lead-intent', keys, opts)).map(first)).toEqual([10, 20]);
    expect(b.stats()).toMatchObject({ hits: 4, l1: { hits: 2 }, l2: { hits: 2 } });
  });

  it('reads a foreign value under a row key as a miss', async () => {
    const a = cache();
    await ready(a);
    const [k] = a.rowKeys(ctx, { input_ids: ids([[7]]), attention_mask: ids([[1]]) }, 1);
    // An envelope-valid value written by something else: a row that does not decode.
    const { sealValue, NO_COMPRESSION } = await import('../../../src/cache/value-envelope.js');
    const { Redis } = await import('ioredis');
    const raw = new Redis(redis.url);
    await raw.set(prefix + k, Buffer.from(sealValue(Uint8Array.of(9, 9, 9), NO_COMPRESSION).bytes));
    raw.disconnect();
    expect(await a.getRows('lead-intent', [k!], opts)).toEqual([undefined]);
    expect(a.stats().corruptRows).toBe(1);
  });

  describe('trusts nothing it reads from Redis', () => {
    const expectLogits: RowCacheOptions = { ...opts, expect: [{ name: 'logits', dtype: 'float32', dims: [8] }] };
    const rawClient = async (): Promise<import('ioredis').Redis> => new (await import('ioredis')).Redis(redis.url);
    const keysFor = (c: TwoTierCache, seed: number): string[] => c.rowKeys(ctx, { input_ids: ids([[seed], [seed + 1]]), attention_mask: ids([[1], [1]]) }, 2);

    it('refuses a value copied from another key, deletes it, and never puts it in L1', async () => {
      const writer = cache();
      const reader = cache();
      await Promise.all([ready(writer), ready(reader)]);
      const [k1, k2] = keysFor(writer, 500);
      writer.setRows('lead-intent', [{ key: k1!, row: logits(5) }], expectLogits);
      await writer.flush();
      const raw = await rawClient();
      await raw.set(prefix + k2, (await raw.getBuffer(prefix + k1))!); // a well-formed value under the wrong key
      expect(await reader.getRows('lead-intent', [k2!], expectLogits)).toEqual([undefined]);
      await reader.flush();
      expect(await raw.exists(prefix + k2)).toBe(0); // deleted
      expect(reader.l1!.getSync(k2!)).toBeUndefined(); // never promoted
      expect((await reader.getRows('lead-intent', [k1!], expectLogits)).map(first)).toEqual([5]); // the real one still serves
      raw.disconnect();
    });

    it.each([
      ['two rows', { logits: { dtype: 'float32', shape: [2, 3], data: new Uint8Array(24) } }],
      ['another dtype', { logits: { dtype: 'int32', shape: [1, 8], data: new Uint8Array(32) } }],
      ['another shape', { logits: { dtype: 'float32', shape: [1, 3], data: new Uint8Array(12) } }],
      ['another model\'s output', { value: { dtype: 'float32', shape: [1, 1], data: new Uint8Array(4) } }],
    ] as [string, CachedRow][])('refuses a correctly tagged value with %s (not the model\'s output signature) and deletes it', async (_what, row) => {
      const writer = cache();
      const reader = cache();
      await Promise.all([ready(writer), ready(reader)]);
      const [k] = keysFor(writer, 600 + Math.floor(Math.random() * 1000));
      writer.setRows('lead-intent', [{ key: k!, row }], opts); // written without the expectation, as a confused writer would
      await writer.flush();
      const raw = await rawClient();
      expect(await raw.exists(prefix + k)).toBe(1);
      expect(await reader.getRows('lead-intent', [k!], expectLogits)).toEqual([undefined]);
      await reader.flush();
      expect(await raw.exists(prefix + k)).toBe(0);
      expect(reader.l1!.getSync(k!)).toBeUndefined();
      raw.disconnect();
    });

    it('with HUB_CACHE_SECRET, refuses a value written by a cache with another secret (a forger without the key)', async () => {
      const honest = cache({ cacheSecret: 'correct horse battery staple' });
      const forger = cache({ cacheSecret: 'not the secret at all, sorry' });
      const keyless = cache();
      await Promise.all([ready(honest), ready(forger), ready(keyless)]);
      const [k1, k2] = keysFor(honest, 900);
      forger.setRows('lead-intent', [{ key: k1!, row: logits(66) }], expectLogits);
      keyless.setRows('lead-intent', [{ key: k2!, row: logits(77) }], expectLogits);
      await Promise.all([forger.flush(), keyless.flush()]);
      expect(await honest.getRows('lead-intent', [k1!, k2!], expectLogits)).toEqual([undefined, undefined]);
      await honest.flush();
      const raw = await rawClient();
      expect(await raw.exists(prefix + k1, prefix + k2)).toBe(0); // both deleted
      raw.disconnect();
      expect([honest.l1!.getSync(k1!), honest.l1!.getSync(k2!)]).toEqual([undefined, undefined]); // never promoted
      honest.setRows('lead-intent', [{ key: k1!, row: logits(88) }], expectLogits);
      await honest.flush();
      const other = cache({ cacheSecret: 'correct horse battery staple' });
      await ready(other);
      expect((await other.getRows('lead-intent', [k1!], expectLogits)).map(first)).toEqual([88]);
    });
  });

  it.skipIf(process.env['REDIS_URL'])('keeps answering from L1 while Redis is down and resumes L2 hits after a restart', async () => {
    const a = cache({ 'cache.redisReadTimeoutMs': 5 });
    const b = cache({ 'cache.redisReadTimeoutMs': 5 });
    await Promise.all([ready(a), ready(b)]);
    const keys = a.rowKeys(ctx, { input_ids: ids([[100], [200]]), attention_mask: ids([[1], [1]]) }, 2);
    a.setRows('lead-intent', [{ key: keys[0]!, row: logits(1) }], opts);
    await a.flush();
    await redis.stop();
    for (let i = 0; i < 20; i++) {
      const rows = await a.getRows('lead-intent', keys, opts);
      expect(rows.map(first)).toEqual([1, undefined]); // row 0 from L1, row 1 a miss
      expect(await b.getRows('lead-intent', keys, opts)).toEqual([undefined, undefined]);
    }
    a.setRows('lead-intent', [{ key: keys[1]!, row: logits(2) }], opts); // L1 only: the L2 write is dropped
    await a.flush();
    expect((await a.getRows('lead-intent', keys, opts)).map(first)).toEqual([1, 2]);
    expect(a.stats().l2.store!['unavailable']).toBeGreaterThan(0);
    await redis.restart();
    const end = Date.now() + 15_000;
    let shared: number | undefined;
    while (Date.now() < end && shared === undefined) {
      a.setRows('lead-intent', [{ key: keys[1]!, row: logits(2) }], opts);
      await a.flush();
      shared = first((await b.getRows('lead-intent', [keys[1]!], opts))[0]);
      if (shared === undefined) await sleep(50);
    }
    expect(shared).toBe(2);
  });
});
