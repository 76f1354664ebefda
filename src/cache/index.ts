/**
 * The cache room's public surface: the factory the composition root calls, the contract, and the stores
 * (exported for tests and benchmarks).
 */
import type { Logger } from 'pino';
import { parseRedisUrl } from '../config/redis-url.js';
import type { ServiceConfig } from '../config/service-config.js';
import { moduleLogger } from '../logging/logger.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import { TwoTierCache } from './two-tier-cache.js';

export type { CachedRow, PredictionCache, PredictionCacheStats, RowCacheOptions, RowKeyContext } from './prediction-cache.js';
export type { CacheStore } from './cache-store.js';
export { DEFAULT_MAX_VALUE_BYTES } from './cache-store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { RedisStore, type RedisStoreOptions, type RedisStoreStats } from './redis-store.js';
export { TwoTierCache, type TwoTierCacheOptions } from './two-tier-cache.js';
export { CircuitBreaker, BreakerState } from './circuit-breaker.js';
export { computeRowKeys } from './row-key.js';
export { encodeRow, decodeRow } from './row-codec.js';
export { sealValue, openValue, CorruptValueError, Encoding } from './value-envelope.js';
export { ValueBinding, TAG_BYTES } from './value-binding.js';

/**
 * Builds the two-tier prediction cache from the service config: L1 unless `cache.l1MaxEntries` is 0, L2
 * only when `redisUrl` is set (one server or a cluster, by the URL's form). Connecting to Redis happens in the background; the cache serves (L1 only,
 * L2 lookups as misses) until it is up.
 */
export function createPredictionCache(config: ServiceConfig, logger?: Logger): TwoTierCache {
  const log = logger ?? moduleLogger('cache');
  const c = config.cache;
  const l1 = c.l1MaxEntries > 0 ? new MemoryStore({ maxEntries: c.l1MaxEntries, maxBytes: c.l1MaxBytes }) : undefined;
  const l2 = config.redisUrl
    ? new RedisStore({
      url: config.redisUrl,
      keyPrefix: c.redisKeyPrefix,
      readTimeoutMs: c.redisReadTimeoutMs,
      compression: { thresholdBytes: c.compressThresholdBytes, minSavingRatio: c.compressMinSavingRatio },
      breakerFailureThreshold: c.breakerFailureThreshold,
      breakerOpenMs: c.breakerOpenMs,
      logger: log,
    })
    : undefined;
  const l2Kind = config.redisUrl ? parseRedisUrl(config.redisUrl).kind : false;
  log.info({ l1: l1 ? { maxEntries: c.l1MaxEntries, maxBytes: c.l1MaxBytes, ttlSeconds: c.l1TtlSeconds } : false, l2: l2Kind }, 'prediction cache ready');
  if (l2 && !config.cacheSecret) log.warn('no HUB_CACHE_SECRET: Redis values are bound to their keys by a digest, which stops copied or damaged values but not a deliberate forger with write access to Redis');
  return new TwoTierCache({ l1, l2, l1TtlSeconds: c.l1TtlSeconds, secret: config.cacheSecret, logger: log });
}
