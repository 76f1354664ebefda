import { describe, expect, it } from 'vitest';
import { createPredictionCache } from '../../../src/cache/index.js';
import { MemoryStore } from '../../../src/cache/memory-store.js';
import type { CachedRow, RowCacheOptions, RowKeyContext } from '../../../src/cache/prediction-cache.js';
import { TwoTierCache } from '../../../src/cache/two-tier-cache.js';
import { loadServiceConfig } from '../../../src/config/service-config.js';
import type { HostTensor } from '../../../src/tensor/tensor.js';
import { setLogLevel } from '../../../src/logging/logger.js';

setLogLevel('silent');

const ctx: RowKeyContext = { model: 'lead-scoring', version: '1', variant: 'fp32', outputs: ['probability'] };
const opts: RowCacheOptions = { ttlSeconds: 300, policy: 'default' };
const features = (rows: number[][]): HostTensor => ({ dtype: 'float32', shape: [rows.length, rows[0]!.length], data: new Uint8Array(Float32Array.from(rows.flat()).buffer) });
const out = (p: number): CachedRow => ({ probability: { dtype: 'float32', shape: [1, 1], data: new Uint8Array(Float32Array.of(p).buffer) } });
const prob = (r: CachedRow | undefined): number | undefined => (r ? new Float32Array(r['probability']!.data.buffer)[0] : undefined);

function l1Cache(): TwoTierCache {
  return createPredictionCache(loadServiceConfig({}, { logLevel: 'silent' }));
}

describe('TwoTierCache without Redis', () => {
  it('is L1-only when no redisUrl is configured', async () => {
    const c = l1Cache();
    expect(c.l1).toBeDefined();
    expect(c.l2).toBeUndefined();
    expect(c.stats().l2.enabled).toBe(false);
    await c.close();
  });

  it('misses, stores, then answers the same rows from L1', async () => {
    const c = l1Cache();
    const keys = c.rowKeys(ctx, { features: features([[1, 2], [3, 4]]) }, 2);
    expect(await c.getRows('lead-scoring', keys, opts)).toEqual([undefined, undefined]);
    c.setRows('lead-scoring', [{ key: keys[0]!, row: out(0.25) }, { key: keys[1]!, row: out(0.75) }], opts);
    const rows = await c.getRows('lead-scoring', keys, opts);
    expect(rows.map(prob)).toEqual([0.25, 0.75]);
    expect(rows[0]!['probability']!.shape).toEqual([1, 1]);
    expect(c.stats()).toMatchObject({ lookups: 4, hits: 2, misses: 2, hitRatio: 0.5, l1: { hits: 2, misses: 2, entries: 2 } });
    await c.close();
  });

  it('answers a half-cached request with hits exactly where rows were stored', async () => {
    const c = l1Cache();
    const keys = c.rowKeys(ctx, { features: features([[1, 1], [2, 2], [3, 3], [4, 4]]) }, 4);
    c.setRows('lead-scoring', [{ key: keys[1]!, row: out(2) }, { key: keys[3]!, row: out(4) }], opts);
    expect((await c.getRows('lead-scoring', keys, opts)).map(prob)).toEqual([undefined, 2, undefined, 4]);
    await c.close();
  });

  it('skips the read under the refresh policy and overwrites on store', async () => {
    const c = l1Cache();
    const [k] = c.rowKeys(ctx, { features: features([[9, 9]]) }, 1);
    c.setRows('lead-scoring', [{ key: k!, row: out(1) }], opts);
    expect(await c.getRows('lead-scoring', [k!], { ...opts, policy: 'refresh' })).toEqual([undefined]);
    c.setRows('lead-scoring', [{ key: k!, row: out(2) }], opts);
    expect(prob((await c.getRows('lead-scoring', [k!], opts))[0])).toBe(2);
    await c.close();
  });

  it('treats a row whose bytes no longer decode as a miss and drops it', async () => {
    const l1 = new MemoryStore({ maxEntries: 100, maxBytes: 1 << 20 });
    const c = new TwoTierCache({ l1, l1TtlSeconds: 300 });
    l1.setSync('bad', Uint8Array.of(1, 1, 0, 0xff), 60); // a valid envelope holding a broken row
    expect(await c.getRows('m', ['bad'], opts)).toEqual([undefined]);
    expect(c.stats().corruptRows).toBe(1);
    expect(l1.getSync('bad')).toBeUndefined();
    await c.close();
  });

  it('honours a model TTL shorter than the L1 TTL', async () => {
    const c = l1Cache();
    c.setRows('m', [{ key: 'short', row: out(1) }], { ttlSeconds: 0.1, policy: 'default' });
    expect(prob((await c.getRows('m', ['short'], opts))[0])).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(await c.getRows('m', ['short'], opts)).toEqual([undefined]);
    await c.close();
  });

  it('never throws into the predict path: a malformed row is simply not cached', async () => {
    const c = l1Cache();
    const broken: CachedRow = { probability: { dtype: 'float32', shape: [1, 2], data: new Uint8Array(3) } };
    expect(() => c.setRows('m', [{ key: 'x', row: broken }, { key: 'y', row: out(3) }], opts)).not.toThrow();
    expect((await c.getRows('m', ['x', 'y'], opts)).map(prob)).toEqual([undefined, 3]);
    await c.close();
  });

  it('disables L1 when l1MaxEntries is 0', async () => {
    const c = createPredictionCache(loadServiceConfig({}, { logLevel: 'silent', 'cache.l1MaxEntries': 0 }));
    expect(c.l1).toBeUndefined();
    c.setRows('m', [{ key: 'k', row: out(1) }], opts);
    expect(await c.getRows('m', ['k'], opts)).toEqual([undefined]);
    await c.close();
  });
});
