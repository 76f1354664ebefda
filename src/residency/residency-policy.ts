/**
 * The pluggable part of residency: how start-up ranks models to preload, which resident model a load evicts,
 * and whether a periodic tick loads models ahead of demand.
 * - `static`: preload.priority only (start-up and eviction: lowest priority goes first); no tick loads.
 * - `lru`: start-up by priority; evicts the least recently used; no tick loads.
 * - `predicted` (default): start-up by predicted demand (priority for models without history); evicts the
 *   lowest predicted near-term demand; the tick loads models before their predicted demand arrives.
 */

/** A policy name (HUB_RESIDENCY_POLICY). */
export type ResidencyPolicyName = 'static' | 'lru' | 'predicted';

/** What a policy knows about a model when ranking it. */
export interface RankedModel {
  readonly name: string;
  readonly priority: number;
  /** Predicted near-term demand, requests per second of clock time. */
  readonly demand: number;
  /** Whether usage history backs `demand`. */
  readonly hasHistory: boolean;
  /** Clock ms of the last request or load, 0 if never. */
  readonly lastUsedAt: number;
}

/** A residency policy. */
export interface ResidencyPolicy {
  readonly name: ResidencyPolicyName;
  /** Whether the periodic tick loads models ahead of predicted demand. */
  readonly loadsAhead: boolean;
  /** Start-up order: most wanted first. */
  compareForPreload(a: RankedModel, b: RankedModel): number;
  /** Eviction order: first to go first. */
  compareForEviction(a: RankedModel, b: RankedModel): number;
  /** One clause saying why `m` was picked to evict (logs, ListModels). */
  evictionReason(m: RankedModel): string;
}

const byPriority = (a: RankedModel, b: RankedModel): number => b.priority - a.priority || a.name.localeCompare(b.name);

const staticPolicy: ResidencyPolicy = {
  name: 'static', loadsAhead: false,
  compareForPreload: byPriority,
  compareForEviction: (a, b) => a.priority - b.priority || b.name.localeCompare(a.name),
  evictionReason: (m) => `lowest preload.priority (${m.priority})`,
};

const lruPolicy: ResidencyPolicy = {
  name: 'lru', loadsAhead: false,
  compareForPreload: byPriority,
  compareForEviction: (a, b) => a.lastUsedAt - b.lastUsedAt || a.name.localeCompare(b.name),
  evictionReason: (m) => `least recently used (last ${m.lastUsedAt ? new Date(m.lastUsedAt).toISOString() : 'never'})`,
};

const predictedPolicy: ResidencyPolicy = {
  name: 'predicted', loadsAhead: true,
  // Models with predicted demand first (highest first), then the rest by priority (no history: the fallback).
  compareForPreload: (a, b) => Number(b.demand > 0) - Number(a.demand > 0) || b.demand - a.demand || byPriority(a, b),
  // Lowest demand first; among equals (usually 0) the lower priority, then the least recently used.
  compareForEviction: (a, b) => a.demand - b.demand || a.priority - b.priority || a.lastUsedAt - b.lastUsedAt,
  evictionReason: (m) => `lowest predicted near-term demand (${perHour(m.demand)} req/h)`,
};

/** The policy of a name. */
export function residencyPolicy(name: ResidencyPolicyName): ResidencyPolicy {
  return name === 'static' ? staticPolicy : name === 'lru' ? lruPolicy : predictedPolicy;
}

/** A per-second rate as requests per hour, rounded for humans. */
export function perHour(perSecond: number): string {
  const h = perSecond * 3600;
  return h >= 100 ? h.toFixed(0) : h >= 1 ? h.toFixed(1) : h.toPrecision(2);
}
