/**
 * The PredictionCache the predictor uses: L1 (in-process) in front of an optional L2 (Redis). Lookups read
 * L1 synchronously, send only L1 misses to L2 in one bounded read (one MGET, or per-master GETs on a Redis
 * Cluster), and promote L2 hits into L1. Writes go to L1 at once and to L2 in the background. Nothing here
 * throws into the predict path: any failure is a miss (reads) or a dropped write.
 */
import type { Logger } from 'pino';
import { moduleLogger } from '../logging/logger.js';
import { metrics } from '../metrics/metrics.js';
import type { NamedTensors } from '../tensor/tensor.js';
import type { MemoryStore } from './memory-store.js';
import type { CachedRow, PredictionCache, PredictionCacheStats, RowCacheOptions, RowKeyContext, RowSignature } from './prediction-cache.js';
import type { RedisStore } from './redis-store.js';
import { decodeRow, encodeRow } from './row-codec.js';
import { computeRowKeys } from './row-key.js';
import { CorruptValueError } from './value-envelope.js';
import { ValueBinding } from './value-binding.js';

/** The tiers and their settings. */
export interface TwoTierCacheOptions {
  /** Absent: no in-process tier. */
  readonly l1?: MemoryStore | undefined;
  /** Absent: no Redis (L1 only). */
  readonly l2?: RedisStore | undefined;
  /** Upper bound of an L1 entry's life; a model's shorter ttlSeconds wins. */
  readonly l1TtlSeconds: number;
  /** HUB_CACHE_SECRET: L2 values carry an HMAC under it; without it, a keyless digest binding each to its key. */
  readonly secret?: string | undefined;
  readonly logger?: Logger;
}

/** Why a cached row was refused (metric `kind`). */
type Refusal = 'corrupt' | 'forged' | 'mismatch';

/** Checks a decoded row against the outputs the request expects; returns why not, or undefined. */
function mismatch(row: CachedRow, expect: readonly RowSignature[] | undefined): string | undefined {
  if (!expect) return undefined;
  const names = Object.keys(row);
  if (names.length !== expect.length) return `row has outputs [${names.join(', ')}], expected [${expect.map((e) => e.name).join(', ')}]`;
  for (const e of expect) {
    const t = row[e.name];
    if (!t) return `row has no output "${e.name}"`;
    if (t.dtype !== e.dtype) return `output "${e.name}" is ${t.dtype}, expected ${e.dtype}`;
    const ok = t.shape.length === e.dims.length + 1 && t.shape[0] === 1 && e.dims.every((d, i) => d === -1 || d === t.shape[i + 1]);
    if (!ok) return `output "${e.name}" has shape [${t.shape.join(',')}], expected [1,${e.dims.join(',')}]`;
  }
  return undefined;
}

/** L1 + optional L2 behind the PredictionCache contract. */
export class TwoTierCache implements PredictionCache {
  readonly #l1: MemoryStore | undefined;
  readonly #l2: RedisStore | undefined;
  readonly #l1TtlSeconds: number;
  readonly #log: Logger;
  readonly #pendingWrites = new Set<Promise<boolean>>();
  readonly #binding: ValueBinding;
  #counts = { lookups: 0, l1Hits: 0, l1Misses: 0, l2Hits: 0, l2Misses: 0, corruptRows: 0 };
  #closed = false;

  constructor(opts: TwoTierCacheOptions) {
    this.#l1 = opts.l1;
    this.#l2 = opts.l2;
    this.#l1TtlSeconds = opts.l1TtlSeconds;
    this.#binding = new ValueBinding(opts.secret);
    this.#log = opts.logger ?? moduleLogger('cache');
  }

  /** The L1 store, if any (tests and benchmarks). */
  get l1(): MemoryStore | undefined {
    return this.#l1;
  }

  /** The L2 store, if any (tests and benchmarks). */
  get l2(): RedisStore | undefined {
    return this.#l2;
  }

  /** See PredictionCache.rowKeys. */
  rowKeys(ctx: RowKeyContext, inputs: NamedTensors, rows: number): string[] {
    return computeRowKeys(ctx, inputs, rows);
  }

  /** See PredictionCache.getRows. */
  async getRows(model: string, keys: readonly string[], opts: RowCacheOptions): Promise<(CachedRow | undefined)[]> {
    try {
      return await this.#getRows(model, keys, opts);
    } catch (e) {
      this.#log.warn({ err: e, model }, 'cache lookup failed; treating rows as misses');
      return new Array<CachedRow | undefined>(keys.length).fill(undefined);
    }
  }

  async #getRows(model: string, keys: readonly string[], opts: RowCacheOptions): Promise<(CachedRow | undefined)[]> {
    const out = new Array<CachedRow | undefined>(keys.length).fill(undefined);
    if (keys.length === 0 || this.#closed || opts.policy === 'refresh') return out;
    this.#counts.lookups += keys.length;
    let missing: number[];
    const l1 = this.#l1;
    if (l1) {
      const t0 = performance.now();
      missing = [];
      let hits = 0;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const bytes = l1.getSync(key);
        const row = bytes && this.#verify(bytes, 'l1', key, opts.expect, false)?.row;
        if (row) { out[i] = row; hits += 1; } else {
          missing.push(i);
        }
      }
      this.#counts.l1Hits += hits;
      this.#counts.l1Misses += missing.length;
      if (hits > 0) {
        metrics.cacheRequests.inc({ model, tier: 'l1', result: 'hit' }, hits);
        metrics.cacheHitLatency.observe({ tier: 'l1' }, (performance.now() - t0) / 1000);
      }
      if (missing.length > 0) metrics.cacheRequests.inc({ model, tier: 'l1', result: 'miss' }, missing.length);
    } else {
      missing = keys.map((_, i) => i);
    }
    const l2 = this.#l2;
    if (l2 && missing.length > 0) {
      const t0 = performance.now();
      const values = await l2.getMany(missing.map((i) => keys[i] as string));
      let hits = 0;
      const l1Ttl = Math.min(this.#l1TtlSeconds, opts.ttlSeconds);
      values.forEach((bytes, j) => {
        if (!bytes) return;
        const i = missing[j] as number;
        const key = keys[i] as string;
        const verified = this.#verify(bytes, 'l2', key, opts.expect, true);
        if (!verified) {
          // Refused values are deleted: the key is ours, and the value failed verification under it.
          this.#track(l2.delete(key).then(() => true));
          return;
        }
        out[i] = verified.row;
        hits += 1;
        // Promoted only after verification, with the L1 TTL (the Redis entry's remaining life is unknown
        // without another round trip). L1 keeps the bare row: only this process writes it.
        l1?.setSync(key, verified.rowBytes, l1Ttl);
      });
      const misses = missing.length - hits;
      this.#counts.l2Hits += hits;
      this.#counts.l2Misses += misses;
      if (hits > 0) {
        metrics.cacheRequests.inc({ model, tier: 'l2', result: 'hit' }, hits);
        metrics.cacheHitLatency.observe({ tier: 'l2' }, (performance.now() - t0) / 1000);
      }
      if (misses > 0) metrics.cacheRequests.inc({ model, tier: 'l2', result: 'miss' }, misses);
      if (hits > 0 && l1) metrics.cacheEntries.set(l1.size);
    }
    return out;
  }

  /** See PredictionCache.setRows. */
  setRows(model: string, entries: readonly { key: string; row: CachedRow }[], opts: RowCacheOptions): void {
    if (this.#closed || entries.length === 0 || !(opts.ttlSeconds > 0)) return;
    const l1Ttl = Math.min(this.#l1TtlSeconds, opts.ttlSeconds);
    for (const { key, row } of entries) {
      // Per row, so one row that cannot be encoded does not keep its neighbours out of the cache.
      try {
        const bytes = encodeRow(row);
        this.#l1?.setSync(key, bytes, l1Ttl);
        if (this.#l2) {
          this.#track(this.#l2.set(key, this.#binding.seal(key, bytes), opts.ttlSeconds));
        }
      } catch (e) {
        this.#log.warn({ err: e, model, key }, 'cache store failed; row not cached');
      }
    }
    if (this.#l1) metrics.cacheEntries.set(this.#l1.size);
  }

  #track(p: Promise<boolean>): void {
    this.#pendingWrites.add(p);
    void p.finally(() => this.#pendingWrites.delete(p));
  }

  /** Resolves when every L2 write and delete started so far has finished (each bounded by the Redis command timeout). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pendingWrites]);
  }

  /** Row-level counters per tier plus each store's own detail, for tests and benchmarks. */
  stats(): PredictionCacheStats {
    const c = this.#counts;
    const hits = c.l1Hits + c.l2Hits;
    return {
      lookups: c.lookups,
      hits,
      misses: c.lookups - hits,
      hitRatio: c.lookups > 0 ? hits / c.lookups : 0,
      corruptRows: c.corruptRows,
      l1: this.#l1
        ? { enabled: true, hits: c.l1Hits, misses: c.l1Misses, entries: this.#l1.size, bytes: this.#l1.bytes }
        : { enabled: false, hits: 0, misses: 0, entries: 0, bytes: 0 },
      l2: this.#l2
        ? { enabled: true, hits: c.l2Hits, misses: c.l2Misses, breaker: this.#l2.breakerState, status: this.#l2.status, store: this.#l2.stats() }
        : { enabled: false, hits: 0, misses: 0 },
    };
  }

  /** Zeroes the counters (a benchmark measures warm-up and steady state separately). */
  resetStats(): void {
    this.#counts = { lookups: 0, l1Hits: 0, l1Misses: 0, l2Hits: 0, l2Misses: 0, corruptRows: 0 };
    this.#l2?.resetStats();
  }

  /** See PredictionCache.close: waits for pending L2 writes (bounded), then closes both tiers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    await Promise.all([this.#l1?.close(), this.#l2?.close()]);
    if (this.#l1) metrics.cacheEntries.set(0);
  }

  /**
   * Opens a stored value: the key tag (L2 only), the row codec, then the expected output signature. Any
   * failure is a miss, counted by kind; the caller deletes the value.
   */
  #verify(bytes: Uint8Array, tier: 'l1' | 'l2', key: string, expect: readonly RowSignature[] | undefined, bound: boolean): { row: CachedRow; rowBytes: Uint8Array } | undefined {
    let kind: Refusal = 'forged';
    try {
      const rowBytes = bound ? this.#binding.open(key, bytes) : bytes;
      kind = 'corrupt';
      const row = decodeRow(rowBytes);
      const why = mismatch(row, expect);
      if (why) { kind = 'mismatch'; throw new CorruptValueError(why); }
      return { row, rowBytes };
    } catch (e) {
      if (!(e instanceof CorruptValueError)) throw e;
      this.#counts.corruptRows += 1;
      metrics.cacheErrors.inc({ tier, kind });
      if (tier === 'l1') void this.#l1?.delete(key);
      this.#log.debug({ key, tier, kind, reason: e.message }, 'cached row refused; treated as a miss and deleted');
      return undefined;
    }
  }
}
