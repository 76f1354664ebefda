/**
 * Where per-model usage persists, so a restarted server and the other replicas start from what was seen:
 * Redis when REDIS_URL is set (one small hash per model), else a JSON file. A store that fails is logged and
 * skipped: usage history only improves residency decisions, it never stops the service.
 */
import type { UsageSnapshot } from './usage-predictor.js';

/** Persisted usage of every model, by model name. */
export type UsageSnapshots = Readonly<Record<string, UsageSnapshot>>;

/** A persistence backend for usage snapshots. */
export interface UsageStore {
  /** Where it writes, for logs ("file /x/.hub-usage.json", "redis hub:v1:usage:*"). */
  readonly description: string;
  /** Reads every model's snapshot; values that do not have the snapshot's shape are left out. */
  load(): Promise<UsageSnapshots>;
  /** Writes the given models' snapshots (others already stored are kept). */
  save(snapshots: UsageSnapshots): Promise<void>;
  close(): Promise<void>;
}
