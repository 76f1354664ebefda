/**
 * The contract between the predict path and the cache. The predictor computes nothing about keys or
 * tiers: it asks for per-row keys, looks rows up, sends only the misses to the batcher, and stores what
 * came back. Implementations never throw from `getRows`/`setRows` and bound the time `getRows` waits.
 */
import type { HostTensor, NamedTensors } from '../tensor/tensor.js';

/** What identifies a row's answer besides its input bytes. */
export interface RowKeyContext {
  readonly model: string;
  readonly version: string;
  /** The resolved variant actually run ('fp32' | 'int8' | 'fp16'). */
  readonly variant: string;
  /** The requested output names, sorted; empty means all outputs. */
  readonly outputs: readonly string[];
}

/** One row's outputs: each tensor has shape [1, ...]. */
export type CachedRow = Readonly<Record<string, HostTensor>>;

/** What a row read from the cache must look like: the requested outputs, each shape [1, ...dims]. */
export interface RowSignature {
  readonly name: string;
  readonly dtype: string;
  /** Non-batch dims; -1 matches any size. */
  readonly dims: readonly number[];
}

/** Per-model cache settings from the model's config. */
export interface RowCacheOptions {
  readonly ttlSeconds: number;
  /** 'default' reads and writes; 'refresh' skips the read. ('bypass' never reaches the cache.) */
  readonly policy: 'default' | 'refresh';
  /**
   * The model's output signature for the requested outputs. A row read back that does not match it (other
   * names, dtype or shape) is a miss and is deleted, never served.
   */
  readonly expect?: readonly RowSignature[];
}

/** The prediction cache the predictor talks to. */
export interface PredictionCache {
  /** One key per row of `inputs` (rows along dim 0), unique over the context and the row's bytes. */
  rowKeys(ctx: RowKeyContext, inputs: NamedTensors, rows: number): string[];
  /** Looks up rows by key; `undefined` is a miss. Never rejects; waits at most the configured L2 budget. */
  getRows(model: string, keys: readonly string[], opts: RowCacheOptions): Promise<(CachedRow | undefined)[]>;
  /** Stores rows (L1 at once, L2 in the background). Never throws. */
  setRows(model: string, entries: readonly { key: string; row: CachedRow }[], opts: RowCacheOptions): void;
  /** Releases connections and timers. */
  close(): Promise<void>;
  /** Hit/miss counters per tier (optional: test fakes need not count). */
  stats?(): PredictionCacheStats;
}

/** Counters a cache reports for tests and benchmarks (rows, not calls). */
export interface PredictionCacheStats {
  /** Rows looked up (refresh lookups excluded). */
  readonly lookups: number;
  readonly hits: number;
  readonly misses: number;
  /** hits / lookups (0 before any lookup). */
  readonly hitRatio: number;
  /** Rows whose stored bytes failed to decode (counted as misses). */
  readonly corruptRows: number;
  readonly l1: { readonly enabled: boolean; readonly hits: number; readonly misses: number; readonly entries: number; readonly bytes: number };
  /** `store` holds the Redis store's own counters (timeouts, errors, skipped, writes, compression). */
  readonly l2: { readonly enabled: boolean; readonly hits: number; readonly misses: number; readonly breaker?: string; readonly status?: string; readonly store?: Readonly<Record<string, number>> };
}
