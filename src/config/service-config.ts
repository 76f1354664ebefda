/**
 * The service configuration: one zod schema, one defaults object. Values come from an optional JSON file
 * (`HUB_CONFIG`) overlaid by environment variables; the result is validated, then frozen. This is the only
 * module that reads `process.env` (tests pass an env object instead).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { z } from 'zod';
import { maskRedisUrl, parseRedisUrl, REDIS_URL_PATTERN } from './redis-url.js';

/** Batching policy override for every model (benchmarks). */
export const BatchingModeSchema = z.enum(['off', 'window', 'adaptive']);
export type BatchingMode = z.infer<typeof BatchingModeSchema>;

/** A boolean from the environment: true/1 or false/0. */
const envBoolean = (fallback: boolean) =>
  z.preprocess((v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v), z.boolean()).default(fallback);
const address = z.string().regex(/^[^\s:]*:\d{1,5}$/, 'expected host:port');

/** The defaults; the docs table in README is generated from the same names. */
export const SERVICE_DEFAULTS = Object.freeze({
  grpcAddress: '0.0.0.0:50051',
  metricsAddress: '0.0.0.0:9464',
  modelRepository: 'models',
  batching: undefined as BatchingMode | undefined,
  workers: Math.max(1, os.availableParallelism()),
  intraOpThreads: 1,
  // 1 ms: a batch that computes within it costs less on the main thread than the worker hop, and blocks the
  // event loop no longer than a slow GC pause.
  inlineMaxComputeUs: 1000,
  // All cores: a batch that finds every worker idle runs on a session that borrows them (measured on this
  // 2-core machine: lead-intent FP32 batch 1 4.5 -> 2.8 ms, INT8 2.6 -> 1.9 ms).
  idleIntraOpThreads: Math.max(1, os.availableParallelism()),
  // 2 ms: a lone tiny-model call's main-thread batch keeps another core awake this long (src/engine/idle-spinner.ts),
  // longer than the gap to the next call of one busy caller (~0.3 ms here), short for a caller that went quiet.
  // Off on a single core: there the spinner would take the core from the main thread.
  idleSpinUs: os.availableParallelism() > 1 ? 2000 : 0,
  // 10 ms, the shortest batching window: a lone batch on an idle engine whose all-core run was profiled within it
  // runs on the main thread, as a plain server's would (lead-intent FP32 batch 1: ~3.5 ms here), saving the two
  // worker thread hops (~0.2 ms each on this VM). A call arriving meanwhile waits at most that long.
  idleMainMaxUs: 10_000,
  // Off: V8's allocation-site pretenuring misreads a server's in-flight calls as long-lived (see src/v8-tuning.ts).
  v8Pretenuring: false,
  // On: each HTTP/2 session's stream map is an IdTable, not Node's Map, which under load has every finished call
  // promoted to the old generation (src/server/stream-table.ts).
  compactStreamTable: true,
  // On: a CPU server chooses how to serve an FP32 model's graph at load, from a measurement here among variants
  // that give the same answers: attention blocks fused into ONNX Runtime Attention nodes, and ONNX Runtime's
  // SkipLayerNormFusion on or off (src/repository/fused-variant.ts).
  graphTuning: true,
  executionProvider: 'auto' as 'auto' | 'cpu' | 'cuda',
  preloadTop: 10,
  logLevel: 'info' as 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent',
  shutdownTimeoutMs: 30_000,
  adminToken: undefined as string | undefined,
  redisUrl: undefined as string | undefined,
  cacheSecret: undefined as string | undefined,
  /** Unset: sized from the served models' largest valid request (src/server/request-limits.ts). */
  maxReceiveBytes: undefined as number | undefined,
  cache: {
    l1MaxEntries: 50_000,
    l1MaxBytes: 256 * 1024 * 1024,
    l1TtlSeconds: 300,
    // 20 ms, not 5: the budget is a timer on the same event loop that reads Redis replies; under load the
    // loop stalls for a few ms and a 5 ms timer fires before an already-arrived reply is read (measured:
    // a fresh replica with warm Redis hit 63% at 5 ms, 100% with a larger budget).
    redisReadTimeoutMs: 20,
    redisKeyPrefix: 'hub:v1:',
    compressThresholdBytes: 256,
    compressMinSavingRatio: 0.1,
    breakerFailureThreshold: 5,
    breakerOpenMs: 5_000,
  },
  /** Bytes the resident models may be charged (src/residency/memory-budget.ts); unset = unlimited. */
  modelMemoryBytes: undefined as number | undefined,
  residency: {
    policy: 'predicted' as 'static' | 'lru' | 'predicted',
    /** Charged bytes per byte of ONNX file; unset = 3 per engine session holding the variant (measured). */
    memoryFactor: undefined as number | undefined,
    // 30 s: a load ahead of demand is decided well inside the lead time, and a tick costs microseconds per model.
    tickMs: 30_000,
    // 15 min: loads start this long before the hour the profile says is busy.
    leadSeconds: 900,
    // 15 min: a model idle for half an hour has lost ~86% of its recent rate and ranks by its profile.
    ewmaSeconds: 900,
    /** JSON file of usage history; unset = `<modelRepository>/.hub-usage.json` (Redis instead when REDIS_URL is set); 'off' = not persisted. */
    usageFile: undefined as string | undefined,
    persistMs: 60_000,
    /** Real seconds per hour of the residency clock (3600 = real time; the fleet bench compresses it). */
    clockSecondsPerHour: 3600,
    /** ISO time the residency clock shows at clockOriginMs (unset: real time). */
    clockStart: undefined as string | undefined,
    /** Real epoch ms at which the clock shows clockStart (unset: process start). */
    clockOriginMs: undefined as number | undefined,
  },
  tls: {
    certFile: undefined as string | undefined,
    keyFile: undefined as string | undefined,
    caFile: undefined as string | undefined,
    requireClientCert: false,
  },
});

export const ServiceConfigSchema = z.object({
  grpcAddress: address.default(SERVICE_DEFAULTS.grpcAddress),
  metricsAddress: z.union([address, z.literal('')]).default(SERVICE_DEFAULTS.metricsAddress),
  modelRepository: z.string().min(1).default(SERVICE_DEFAULTS.modelRepository),
  batching: BatchingModeSchema.optional(),
  workers: z.coerce.number().int().min(1).max(256).default(SERVICE_DEFAULTS.workers),
  intraOpThreads: z.coerce.number().int().min(0).max(256).default(SERVICE_DEFAULTS.intraOpThreads),
  inlineMaxComputeUs: z.coerce.number().int().min(0).max(100_000).default(SERVICE_DEFAULTS.inlineMaxComputeUs),
  idleIntraOpThreads: z.coerce.number().int().min(0).max(256).default(SERVICE_DEFAULTS.idleIntraOpThreads),
  idleSpinUs: z.coerce.number().int().min(0).max(100_000).default(SERVICE_DEFAULTS.idleSpinUs),
  idleMainMaxUs: z.coerce.number().int().min(0).max(100_000).default(SERVICE_DEFAULTS.idleMainMaxUs),
  v8Pretenuring: envBoolean(SERVICE_DEFAULTS.v8Pretenuring),
  compactStreamTable: envBoolean(SERVICE_DEFAULTS.compactStreamTable),
  graphTuning: envBoolean(SERVICE_DEFAULTS.graphTuning),
  executionProvider: z.enum(['auto', 'cpu', 'cuda']).default(SERVICE_DEFAULTS.executionProvider),
  preloadTop: z.coerce.number().int().min(0).default(SERVICE_DEFAULTS.preloadTop),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(SERVICE_DEFAULTS.logLevel),
  shutdownTimeoutMs: z.coerce.number().int().min(0).default(SERVICE_DEFAULTS.shutdownTimeoutMs),
  adminToken: z.string().min(8, 'admin token must be at least 8 characters').optional(),
  // One server (redis://, rediss://) or a cluster by its seed nodes (redis+cluster://h1:p1,h2:p2; rediss+cluster://
  // for TLS): the forms are described in redis-url.ts.
  redisUrl: z.string().regex(REDIS_URL_PATTERN, 'expected redis://host:port or redis+cluster://host1:port1,host2:port2').superRefine((v, ctx) => {
    if (!REDIS_URL_PATTERN.test(v)) return; // reported by the regex
    try {
      parseRedisUrl(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  }).optional(),
  cacheSecret: z.string().min(16, 'the cache secret must be at least 16 characters').optional(),
  maxReceiveBytes: z.coerce.number().int().min(4096).max(1024 * 1024 * 1024).optional(),
  cache: z.object({
    l1MaxEntries: z.coerce.number().int().min(0).default(SERVICE_DEFAULTS.cache.l1MaxEntries),
    l1MaxBytes: z.coerce.number().int().min(1024).default(SERVICE_DEFAULTS.cache.l1MaxBytes),
    l1TtlSeconds: z.coerce.number().int().min(1).default(SERVICE_DEFAULTS.cache.l1TtlSeconds),
    redisReadTimeoutMs: z.coerce.number().min(0.1).max(10_000).default(SERVICE_DEFAULTS.cache.redisReadTimeoutMs),
    redisKeyPrefix: z.string().default(SERVICE_DEFAULTS.cache.redisKeyPrefix),
    compressThresholdBytes: z.coerce.number().int().min(0).default(SERVICE_DEFAULTS.cache.compressThresholdBytes),
    compressMinSavingRatio: z.coerce.number().min(0).max(1).default(SERVICE_DEFAULTS.cache.compressMinSavingRatio),
    breakerFailureThreshold: z.coerce.number().int().min(1).default(SERVICE_DEFAULTS.cache.breakerFailureThreshold),
    breakerOpenMs: z.coerce.number().int().min(1).default(SERVICE_DEFAULTS.cache.breakerOpenMs),
  }).strict().prefault({}),
  modelMemoryBytes: z.coerce.number().int().min(1).optional(),
  residency: z.object({
    policy: z.enum(['static', 'lru', 'predicted']).default(SERVICE_DEFAULTS.residency.policy),
    memoryFactor: z.coerce.number().positive().max(1000).optional(),
    tickMs: z.coerce.number().int().min(10).default(SERVICE_DEFAULTS.residency.tickMs),
    leadSeconds: z.coerce.number().min(0).default(SERVICE_DEFAULTS.residency.leadSeconds),
    ewmaSeconds: z.coerce.number().positive().default(SERVICE_DEFAULTS.residency.ewmaSeconds),
    usageFile: z.string().min(1).optional(),
    persistMs: z.coerce.number().int().min(100).default(SERVICE_DEFAULTS.residency.persistMs),
    clockSecondsPerHour: z.coerce.number().positive().max(3600 * 1000).default(SERVICE_DEFAULTS.residency.clockSecondsPerHour),
    clockStart: z.string().refine((v) => Number.isFinite(Date.parse(v)), 'expected an ISO date-time such as 2026-01-05T00:00:00Z').optional(),
    clockOriginMs: z.coerce.number().int().min(0).optional(),
  }).strict().prefault({}),
  tls: z.object({
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    caFile: z.string().optional(),
    requireClientCert: envBoolean(false),
  }).strict().prefault({}),
}).strict();

/** The validated, frozen service configuration. */
export type ServiceConfig = Readonly<z.infer<typeof ServiceConfigSchema>>;

/** Environment variable -> config path. */
export const ENV_VARS: Readonly<Record<string, string>> = Object.freeze({
  HUB_GRPC_ADDRESS: 'grpcAddress',
  HUB_METRICS_ADDRESS: 'metricsAddress',
  HUB_MODEL_REPOSITORY: 'modelRepository',
  HUB_BATCHING: 'batching',
  HUB_WORKERS: 'workers',
  HUB_INTRA_OP_THREADS: 'intraOpThreads',
  HUB_INLINE_MAX_COMPUTE_US: 'inlineMaxComputeUs',
  HUB_IDLE_INTRA_OP_THREADS: 'idleIntraOpThreads',
  HUB_IDLE_SPIN_US: 'idleSpinUs',
  HUB_IDLE_MAIN_MAX_US: 'idleMainMaxUs',
  HUB_V8_PRETENURING: 'v8Pretenuring',
  HUB_COMPACT_STREAM_TABLE: 'compactStreamTable',
  HUB_GRAPH_TUNING: 'graphTuning',
  HUB_EXECUTION_PROVIDER: 'executionProvider',
  HUB_PRELOAD_TOP: 'preloadTop',
  HUB_LOG_LEVEL: 'logLevel',
  HUB_SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
  HUB_ADMIN_TOKEN: 'adminToken',
  REDIS_URL: 'redisUrl',
  HUB_CACHE_SECRET: 'cacheSecret',
  HUB_MAX_RECEIVE_BYTES: 'maxReceiveBytes',
  HUB_L1_MAX_ENTRIES: 'cache.l1MaxEntries',
  HUB_L1_MAX_BYTES: 'cache.l1MaxBytes',
  HUB_L1_TTL_SECONDS: 'cache.l1TtlSeconds',
  HUB_REDIS_READ_TIMEOUT_MS: 'cache.redisReadTimeoutMs',
  HUB_REDIS_KEY_PREFIX: 'cache.redisKeyPrefix',
  HUB_MODEL_MEMORY_BYTES: 'modelMemoryBytes',
  HUB_RESIDENCY_POLICY: 'residency.policy',
  HUB_MODEL_MEMORY_FACTOR: 'residency.memoryFactor',
  HUB_RESIDENCY_TICK_MS: 'residency.tickMs',
  HUB_RESIDENCY_LEAD_SECONDS: 'residency.leadSeconds',
  HUB_RESIDENCY_EWMA_SECONDS: 'residency.ewmaSeconds',
  HUB_USAGE_FILE: 'residency.usageFile',
  HUB_USAGE_PERSIST_MS: 'residency.persistMs',
  HUB_CLOCK_SECONDS_PER_HOUR: 'residency.clockSecondsPerHour',
  HUB_CLOCK_START: 'residency.clockStart',
  HUB_CLOCK_ORIGIN_MS: 'residency.clockOriginMs',
  HUB_TLS_CERT_FILE: 'tls.certFile',
  HUB_TLS_KEY_FILE: 'tls.keyFile',
  HUB_TLS_CA_FILE: 'tls.caFile',
  HUB_TLS_REQUIRE_CLIENT_CERT: 'tls.requireClientCert',
});

/** A configuration error naming the source and field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (typeof next !== 'object' || next === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

function envNameFor(pathStr: string): string | undefined {
  return Object.entries(ENV_VARS).find(([, p]) => p === pathStr)?.[0];
}

/** Validates a raw object; errors name each bad field (and its env var when it has one). */
export function parseServiceConfig(raw: unknown, source = 'config'): ServiceConfig {
  const res = ServiceConfigSchema.safeParse(raw);
  if (!res.success) {
    const lines = res.error.issues.map((i) => {
      const p = i.path.join('.');
      const env = envNameFor(p);
      return `${source}: field "${p}"${env ? ` (env ${env})` : ''}: ${i.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  return deepFreeze(res.data);
}

/**
 * Loads the service config from `env.HUB_CONFIG` (a JSON file, optional) and env vars (env wins).
 * Empty env values are ignored.
 */
export function loadServiceConfig(env: Readonly<Record<string, string | undefined>> = process.env, overrides: Record<string, unknown> = {}): ServiceConfig {
  let raw: Record<string, unknown> = {};
  const file = env['HUB_CONFIG'];
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`${file}: cannot read config file: ${(e as Error).message}`);
    }
  }
  for (const [name, p] of Object.entries(ENV_VARS)) {
    const v = env[name];
    // An empty variable means unset, except HUB_METRICS_ADDRESS, where empty is documented to disable metrics.
    if (v !== undefined && (v !== '' || name === 'HUB_METRICS_ADDRESS')) setPath(raw, p, v);
  }
  for (const [p, v] of Object.entries(overrides)) setPath(raw, p, v);
  return parseServiceConfig(raw, file ? `${file} + environment` : 'environment');
}

/** The config as printed at start-up: secrets masked. */
export function maskedConfig(cfg: ServiceConfig): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(cfg)) as Record<string, unknown>;
  if (copy['adminToken']) copy['adminToken'] = '***';
  if (copy['cacheSecret']) copy['cacheSecret'] = '***';
  if (typeof copy['redisUrl'] === 'string') copy['redisUrl'] = maskRedisUrl(copy['redisUrl'] as string);
  return copy;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
