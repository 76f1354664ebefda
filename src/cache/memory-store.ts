/**
 * L1: an in-process LRU over `lru-cache`, bounded by entry count AND by bytes (each entry costs its value
 * bytes plus an estimate of its bookkeeping), with a per-entry TTL. Cold entries are evicted first. Values
 * are kept sealed in the envelope (uncompressed) like every tier, so a bad value is caught the same way.
 */
import { LRUCache } from 'lru-cache';
import { metrics } from '../metrics/metrics.js';
import { DEFAULT_MAX_VALUE_BYTES, type CacheStore } from './cache-store.js';
import { CorruptValueError, NO_COMPRESSION, openValue, sealValue } from './value-envelope.js';

/** Estimated bytes of bookkeeping per entry (LRU slots, Map entry, the Uint8Array object): keeps the byte budget honest for tiny rows. */
export const L1_ENTRY_OVERHEAD_BYTES = 128;

/** L1 settings. */
export interface MemoryStoreOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Refuse payloads above this (default 1 MiB, never above maxBytes). */
  readonly maxValueBytes?: number;
}

/** The in-process tier. */
export class MemoryStore implements CacheStore {
  /** Tier name. */
  readonly tier = 'l1' as const;
  /** Largest accepted payload. */
  readonly maxValueBytes: number;
  readonly #lru: LRUCache<string, Uint8Array>;
  #corrupt = 0;
  #closed = false;

  constructor(opts: MemoryStoreOptions) {
    if (!(opts.maxEntries >= 1)) throw new Error('MemoryStore needs maxEntries >= 1 (leave L1 out to disable it)');
    this.maxValueBytes = Math.min(opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES, opts.maxBytes);
    this.#lru = new LRUCache<string, Uint8Array>({
      max: opts.maxEntries,
      maxSize: opts.maxBytes,
      maxEntrySize: opts.maxBytes,
      sizeCalculation: (v, k) => v.byteLength + k.length * 2 + L1_ENTRY_OVERHEAD_BYTES,
      // Expired entries are dropped when read (no per-entry timers); the LRU bound reclaims the rest.
      ttlAutopurge: false,
      allowStale: false,
      updateAgeOnGet: false,
    });
  }

  /** Entries held (expired ones until they are read or evicted). */
  get size(): number {
    return this.#lru.size;
  }

  /** Bytes charged against the budget. */
  get bytes(): number {
    return this.#lru.calculatedSize;
  }

  /** Values found unreadable and dropped since creation. */
  get corruptCount(): number {
    return this.#corrupt;
  }

  /** Synchronous lookup: the two-tier cache reads L1 without a promise per row. */
  getSync(key: string): Uint8Array | undefined {
    if (this.#closed) return undefined;
    const sealed = this.#lru.get(key);
    if (sealed === undefined) return undefined;
    try {
      return openValue(sealed, this.maxValueBytes);
    } catch (e) {
      if (!(e instanceof CorruptValueError)) throw e;
      this.#lru.delete(key);
      this.#corrupt += 1;
      metrics.cacheErrors.inc({ tier: this.tier, kind: 'corrupt' });
      return undefined;
    }
  }

  /** Synchronous store; `false` when the payload is over maxValueBytes (and any old value is dropped). */
  setSync(key: string, value: Uint8Array, ttlSeconds: number): boolean {
    if (this.#closed) return false;
    if (value.byteLength > this.maxValueBytes) {
      this.#lru.delete(key);
      metrics.cacheErrors.inc({ tier: this.tier, kind: 'too_large' });
      return false;
    }
    this.#lru.set(key, sealValue(value, NO_COMPRESSION).bytes, { ttl: Math.max(1, Math.round(ttlSeconds * 1000)) });
    return this.#lru.has(key);
  }

  /**
   * Stores bytes verbatim, skipping the envelope. Only for tests that plant a foreign or damaged value to
   * prove it reads as a miss.
   */
  putRawForTest(key: string, bytes: Uint8Array, ttlSeconds: number): void {
    this.#lru.set(key, bytes, { ttl: Math.max(1, Math.round(ttlSeconds * 1000)) });
  }

  /** See CacheStore.get. */
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.getSync(key);
  }

  /** See CacheStore.getMany. */
  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    return keys.map((k) => this.getSync(k));
  }

  /** See CacheStore.set. */
  async set(key: string, value: Uint8Array, ttlSeconds: number): Promise<boolean> {
    return this.setSync(key, value, ttlSeconds);
  }

  /** See CacheStore.delete. */
  async delete(key: string): Promise<void> {
    this.#lru.delete(key);
  }

  /** Drops every entry; later reads miss and writes are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#lru.clear();
  }
}
