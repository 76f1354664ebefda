/**
 * Every metric hub-inference publishes, in one prom-client registry. Other modules import `metrics` and
 * record; only the HTTP exporter reads the registry. Names follow Prometheus conventions (`_total` for
 * counters, base units: seconds and bytes). The list is documented in README ("Metrics").
 */
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import { HotHistogram, hotCounter } from './hot-metrics.js';

/** The registry served at /metrics. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'hub_', eventLoopMonitoringPrecision: 10 });

const latencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const batchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** All metrics by role. */
export const metrics = {
  requests: hotCounter({
    name: 'hub_requests_total', help: 'Predict calls by model and outcome code (OK or an error code)',
    labelNames: ['model', 'code'] as const, registers: [registry],
  }),
  requestDuration: new HotHistogram({
    name: 'hub_request_duration_seconds', help: 'Predict time inside the server, decode to encode',
    labelNames: ['model'] as const, buckets: latencyBuckets, registers: [registry],
  }),
  inferenceRows: hotCounter({
    name: 'hub_inference_rows_total', help: 'Rows computed by the engine (inference count)',
    labelNames: ['model', 'variant'] as const, registers: [registry],
  }),
  executions: hotCounter({
    name: 'hub_executions_total', help: 'Engine runs (execution count); rows/executions is the mean batch size',
    labelNames: ['model', 'variant'] as const, registers: [registry],
  }),
  queueDuration: new HotHistogram({
    name: 'hub_queue_duration_seconds', help: 'Time a request waited in the batch queue',
    labelNames: ['model'] as const, buckets: latencyBuckets, registers: [registry],
  }),
  computeDuration: new HotHistogram({
    name: 'hub_compute_duration_seconds', help: 'Engine run time of one batch',
    labelNames: ['model', 'variant'] as const, buckets: latencyBuckets, registers: [registry],
  }),
  batchSize: new HotHistogram({
    name: 'hub_batch_size_rows', help: 'Rows per engine run',
    labelNames: ['model', 'variant'] as const, buckets: batchBuckets, registers: [registry],
  }),
  queueDepth: new Gauge({
    name: 'hub_queue_depth_rows', help: 'Rows waiting in a model queue',
    labelNames: ['model'] as const, registers: [registry],
  }),
  dropped: new Counter({
    name: 'hub_queue_dropped_total', help: 'Requests refused or dropped before running (queue_full, overloaded, deadline, cancelled)',
    labelNames: ['model', 'reason'] as const, registers: [registry],
  }),
  wastedRows: new Counter({
    name: 'hub_wasted_rows_total', help: 'Rows computed whose caller had already gone (deadline passed or cancelled while the batch ran)',
    labelNames: ['model'] as const, registers: [registry],
  }),
  cacheRequests: new Counter({
    name: 'hub_cache_requests_total', help: 'Cache row lookups by tier (l1, l2) and result (hit, miss)',
    labelNames: ['model', 'tier', 'result'] as const, registers: [registry],
  }),
  cacheHitLatency: new Histogram({
    name: 'hub_cache_hit_latency_seconds', help: 'Latency of a cache lookup that hit, by tier',
    labelNames: ['tier'] as const, buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01], registers: [registry],
  }),
  cacheCompressionSavedBytes: new Counter({
    name: 'hub_cache_compression_saved_bytes_total', help: 'Bytes LZ4 saved on values written to Redis',
    registers: [registry],
  }),
  cacheErrors: new Counter({
    name: 'hub_cache_errors_total', help: 'Cache failures (timeouts, connection errors, corrupt values) by tier and kind',
    labelNames: ['tier', 'kind'] as const, registers: [registry],
  }),
  cacheEntries: new Gauge({
    name: 'hub_cache_l1_entries', help: 'Entries held by the in-process L1 cache', registers: [registry],
  }),
  singleFlightShared: new Counter({
    name: 'hub_cache_single_flight_shared_total', help: 'Rows answered by waiting on an identical in-flight row',
    labelNames: ['model'] as const, registers: [registry],
  }),
  redisBreakerState: new Gauge({
    name: 'hub_redis_breaker_state', help: 'Redis circuit breaker: 0 closed, 1 half-open, 2 open (with a cluster, the worst of its masters)', registers: [registry],
  }),
  redisNodes: new Gauge({
    name: 'hub_redis_nodes', help: 'Redis servers the L2 uses (1, or the masters of a cluster) by the state of their circuit breaker',
    labelNames: ['state'] as const, registers: [registry],
  }),
  fusedAttentionBlocks: new Gauge({
    name: 'hub_fused_attention_blocks', help: 'Attention blocks fused in the FP32 graph a model version serves, set when the load-time graph check ran (0: none fused; its log line or GetModelMetadata graph_rewrites says why)',
    labelNames: ['model', 'version'] as const, registers: [registry],
  }),
  modelLoadSeconds: new Gauge({
    name: 'hub_model_load_seconds', help: 'Time to load a model variant into every worker',
    labelNames: ['model', 'version', 'variant'] as const, registers: [registry],
  }),
  modelWarmupSeconds: new Gauge({
    name: 'hub_model_warmup_seconds', help: 'Time to warm a model variant on its batch-size buckets',
    labelNames: ['model', 'version', 'variant'] as const, registers: [registry],
  }),
  profileRowsPerSecond: new Gauge({
    name: 'hub_profile_rows_per_second', help: 'Rows per second of a model variant at a batch size, measured by the warm-up profile on this host',
    labelNames: ['model', 'variant', 'batch_size'] as const, registers: [registry],
  }),
  batchCap: new Gauge({
    name: 'hub_batch_cap_rows', help: 'Largest batch the batcher builds for a model variant, chosen from its warm-up profile',
    labelNames: ['model', 'variant'] as const, registers: [registry],
  }),
  modelsLoaded: new Gauge({
    name: 'hub_models_loaded', help: 'Model variants loaded and ready', registers: [registry],
  }),
  coldStarts: new Counter({
    name: 'hub_cold_starts_total', help: 'Loads a request had to wait for: the model version was not loaded when it arrived (once per load, however many requests waited)',
    labelNames: ['model'] as const, registers: [registry],
  }),
  coldStartWait: new Histogram({
    name: 'hub_cold_start_wait_seconds', help: 'How long a request waited for its model version to load (included in its queue time)',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  }),
  residencyDecisions: new Counter({
    name: 'hub_residency_decisions_total', help: 'Residency loads and evictions by action (load, evict) and reason',
    labelNames: ['action', 'reason'] as const, registers: [registry],
  }),
  modelResidentBytes: new Gauge({
    name: 'hub_model_resident_bytes', help: 'Bytes a resident model version is charged against the model memory budget',
    labelNames: ['model'] as const, registers: [registry],
  }),
  modelLoadRssDelta: new Gauge({
    name: 'hub_model_load_rss_delta_bytes', help: 'Process RSS growth measured around the last load of a model (to check the charge factor against)',
    labelNames: ['model'] as const, registers: [registry],
  }),
  modelMemoryUsed: new Gauge({
    name: 'hub_model_memory_used_bytes', help: 'Bytes charged to resident models', registers: [registry],
  }),
  modelMemoryBudget: new Gauge({
    name: 'hub_model_memory_budget_bytes', help: 'The model memory budget (HUB_MODEL_MEMORY_BYTES); 0 = unlimited', registers: [registry],
  }),
  predictedDemand: new Gauge({
    name: 'hub_model_predicted_demand_per_hour', help: 'Predicted near-term requests per hour of a model (residency clock), as of the last residency tick',
    labelNames: ['model'] as const, registers: [registry],
  }),
  workers: new Gauge({
    name: 'hub_engine_workers', help: 'Engine worker threads alive', registers: [registry],
  }),
  workerRestarts: new Counter({
    name: 'hub_engine_worker_restarts_total', help: 'Engine workers replaced after a crash', registers: [registry],
  }),
  idleSpinnerWakes: hotCounter({
    name: 'hub_idle_spinner_wakes_total', help: 'Times a lone main-thread batch woke the sleeping idle spinner (HUB_IDLE_SPIN_US); a spinner kept awake by calls that keep coming is one wake',
    labelNames: [] as const, registers: [registry],
  }),
  laneBatches: hotCounter({
    name: 'hub_idle_lane_batches_total',
    help: "Lone main-thread batches handed to the idle spinner's lane, by outcome: ran, failed (ONNX Runtime's error), withdrawn (not claimed within 50 us), declined (the lane's thread could not take it: its answer did not fit the lane, or the thread had no session for it), given_up (no answer within 100 ms: the lane is not used again); all but ran and failed then ran on the main thread",
    labelNames: ['outcome'] as const, registers: [registry],
  }),
};

/** The metrics object's type, for modules that take it as a dependency. */
export type Metrics = typeof metrics;
