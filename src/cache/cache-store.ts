/**
 * The byte-level contract both cache tiers implement (in-process LRU and Redis), so the two-tier cache
 * treats them alike and one shared test suite proves each (the habit of undici's `cacheStoreTests`).
 * Values are opaque payloads; each store wraps them in the value envelope (see value-envelope.ts) and a
 * value that is not a valid envelope (foreign, truncated, from a newer format) reads as a miss.
 */

/** A cache tier storing opaque byte payloads under string keys, each with its own TTL. */
export interface CacheStore {
  /** The tier name used in metrics and stats ('l1' or 'l2'). */
  readonly tier: 'l1' | 'l2';
  /** Largest payload (bytes, before any compression) the store accepts; bigger values are refused. */
  readonly maxValueBytes: number;
  /** The payload under `key`, or `undefined` (absent, expired, corrupt, or the tier is unavailable). Never rejects. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Payloads for many keys in one round trip, in key order. Never rejects. */
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  /**
   * Stores `value` for `ttlSeconds` (fractions allowed). Resolves `true` when stored, `false` when refused
   * (too large) or dropped (tier unavailable). Never rejects.
   */
  set(key: string, value: Uint8Array, ttlSeconds: number): Promise<boolean>;
  /** Removes `key`. Never rejects. */
  delete(key: string): Promise<void>;
  /** Releases timers and connections; later calls behave as misses and dropped writes. */
  close(): Promise<void>;
}

/** Default largest payload a store accepts: far above any row a bundled model produces. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
