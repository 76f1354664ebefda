/**
 * The residency room's public surface: the factory the composition root calls (clock, usage store and
 * manager from the service config), and the parts tests and the fleet benchmark use.
 */
import path from 'node:path';
import type { ServiceConfig } from '../config/service-config.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { scaledClock, systemClock, type Clock } from './clock.js';
import { FileUsageStore } from './file-usage-store.js';
import { defaultMemoryFactor } from './memory-budget.js';
import { RedisUsageStore } from './redis-usage-store.js';
import { ResidencyManager } from './residency-manager.js';
import type { UsageStore } from './usage-store.js';

export { ResidencyManager, type ResidencyManagerOptions } from './residency-manager.js';
export { ManualClock, scaledClock, systemClock, type Clock } from './clock.js';
export { ModelUsage, hourOfWeek, bucketLabel, HOURS_PER_WEEK, PROFILE_DECAY, type UsageSnapshot, type DemandPrediction } from './usage-predictor.js';
export { FileUsageStore } from './file-usage-store.js';
export { RedisUsageStore } from './redis-usage-store.js';
export type { UsageStore, UsageSnapshots } from './usage-store.js';
export { MemoryBudget, defaultMemoryFactor } from './memory-budget.js';
export { residencyPolicy, type ResidencyPolicyName } from './residency-policy.js';

/** Name of the usage file in the model repository when HUB_USAGE_FILE is unset and there is no Redis. */
export const DEFAULT_USAGE_FILE = '.hub-usage.json';

/** The residency clock of a config: real time unless HUB_CLOCK_* compress or shift it. */
export function residencyClock(config: ServiceConfig): Clock {
  const r = config.residency;
  if (r.clockSecondsPerHour === 3600 && r.clockStart === undefined) return systemClock;
  return scaledClock({ secondsPerHour: r.clockSecondsPerHour, startMs: r.clockStart === undefined ? undefined : Date.parse(r.clockStart), originMs: r.clockOriginMs });
}

/** Where usage persists: HUB_USAGE_FILE if set ('off': nowhere), else Redis with REDIS_URL, else the default file. */
export function usageStoreFor(config: ServiceConfig): UsageStore | undefined {
  const file = config.residency.usageFile;
  if (file === 'off') return undefined;
  if (file !== undefined) return new FileUsageStore(file);
  if (config.redisUrl) return new RedisUsageStore(config.redisUrl, config.cache.redisKeyPrefix);
  return new FileUsageStore(path.join(config.modelRepository, DEFAULT_USAGE_FILE));
}

/** Builds the residency manager of a service config and attaches it to the repository. */
export function createResidency(config: ServiceConfig, repository: ModelRepository, provider: 'cpu' | 'cuda', clock: Clock = residencyClock(config)): ResidencyManager {
  const r = config.residency;
  const manager = new ResidencyManager({
    repository, provider, clock,
    budgetBytes: config.modelMemoryBytes,
    policy: r.policy,
    memoryFactor: r.memoryFactor ?? defaultMemoryFactor(config.workers, config.idleIntraOpThreads, config.idleMainMaxUs),
    tickMs: r.tickMs, leadSeconds: r.leadSeconds, ewmaSeconds: r.ewmaSeconds,
    store: usageStoreFor(config), persistMs: r.persistMs,
  });
  repository.attachResidency(manager);
  return manager;
}
