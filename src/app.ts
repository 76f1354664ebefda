/**
 * The composition root: wires config, engine, repository, batchers, cache, predictor, gRPC, health and
 * metrics, and owns start-up order and graceful shutdown. `main.ts` adds only process concerns (signals).
 */
import os from 'node:os';
import path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { maskedConfig, type ServiceConfig } from './config/service-config.js';
import { moduleLogger, setLogLevel } from './logging/logger.js';
import { resolveExecutionProvider } from './engine/execution-provider.js';
import { WorkerPool } from './engine/worker-pool.js';
import { BatchScheduler } from './batching/batch-scheduler.js';
import { ModelRepository } from './repository/model-repository.js';
import { Predictor } from './predict/predictor.js';
import type { PredictionCache } from './cache/prediction-cache.js';
import { createPredictionCache } from './cache/index.js';
import { createInferenceService } from './server/inference-service.js';
import { registry } from './metrics/metrics.js';
import { createHealth } from './health/index.js';
import { startMetricsServer, type MetricsServer } from './metrics/http-exporter.js';
import { bindServer, createGrpcServer, inferenceServiceDefinition, serverCredentials, trackSessions, type SessionTracker } from './server/grpc-server.js';
import { StreamTableAdopter, type StreamTableStats } from './server/stream-table.js';
import { receiveLimitFor } from './server/request-limits.js';
import { createKserveService, OIP_SERVICE_NAME, oipServiceDefinition } from './kserve/index.js';
import { createResidency, type ResidencyManager } from './residency/index.js';

const log = moduleLogger('app');

/** Whether a listen address is loopback-only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(address: string): boolean {
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** How a shutdown ended: how many accepted calls it had to cut when the timeout ran out (0 = graceful). */
export interface ShutdownOutcome {
  readonly cutCalls: number;
}


/** Resolves 'done' when `p` settles or 'timeout' after `ms`, whichever comes first. */
async function raceTimeout(p: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
  try {
    return await Promise.race([p.then(() => 'done' as const, () => 'done' as const), timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** A running service. */
export interface App {
  readonly config: ServiceConfig;
  /** The bound gRPC host:port. */
  readonly grpcAddress: string;
  /** The bound metrics host:port, when metrics are enabled. */
  readonly metricsAddress: string | undefined;
  readonly repository: ModelRepository;
  readonly engine: WorkerPool;
  readonly predictor: Predictor;
  readonly cache: PredictionCache | undefined;
  /** Memory budget, usage, prediction-based loading and eviction. */
  readonly residency: ResidencyManager;
  readonly server: grpc.Server;
  /** What the HTTP/2 stream-table swap did (src/server/stream-table.ts); undefined when it is off. */
  readonly streamTable: StreamTableStats | undefined;
  /** Stops accepting calls, finishes accepted ones, closes workers and connections (bounded). */
  shutdown(reason?: string): Promise<ShutdownOutcome>;
}

/** Starts the service: bind, preload and warm, then report serving. */
export async function startApp(config: ServiceConfig): Promise<App> {
  setLogLevel(config.logLevel);
  log.info({ config: maskedConfig(config) }, 'effective configuration');
  const provider = resolveExecutionProvider(config.executionProvider);
  const engine = new WorkerPool({ workers: config.workers, session: { provider, intraOpThreads: config.intraOpThreads, graphOptimizationLevel: 'extended' }, idleIntraOpThreads: config.idleIntraOpThreads, idleSpinUs: config.idleSpinUs, idleMainMaxUs: config.idleMainMaxUs });
  const scheduler = new BatchScheduler(engine);
  const repository = new ModelRepository({ root: config.modelRepository, engine, scheduler, provider, batching: config.batching, inlineMaxComputeUs: config.inlineMaxComputeUs, idleMainMaxUs: config.idleMainMaxUs,
    fusedDir: config.graphTuning ? path.join(os.tmpdir(), 'hub-inference-fused') : undefined });
  repository.scan();
  const residency = createResidency(config, repository, provider);
  // No L1 (l1MaxEntries 0) and no Redis means no cache at all: skip key hashing entirely.
  const cache: PredictionCache | undefined = config.cache.l1MaxEntries > 0 || config.redisUrl ? createPredictionCache(config) : undefined;
  const predictor = new Predictor(repository, cache);

  let draining = false;
  // Calls in flight, counted (not kept): shutdown waits until the count is back to zero.
  let inflight = 0;
  let idle: (() => void) | undefined;
  const settled = (): void => { if (--inflight === 0 && idle) { idle(); idle = undefined; } };
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight++;
    p.then(settled, settled);
    return p;
  };
  const allSettled = (): Promise<void> => (inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { idle = resolve; }));
  // The largest message a client may send: from the models being served (their largest valid request, with
  // headroom), or HUB_MAX_RECEIVE_BYTES. Fixed at start: a model loaded later by LoadModel with bigger inputs
  // needs HUB_MAX_RECEIVE_BYTES or a restart.
  const configs = repository.names().map((n) => { try { return repository.details(n).config; } catch { return undefined; } }).filter((c) => c !== undefined);
  const maxReceiveBytes = config.maxReceiveBytes ?? receiveLimitFor(configs);
  log.info({ maxReceiveBytes }, 'gRPC receive limit');
  const server = createGrpcServer(maxReceiveBytes);
  // grpc.health.v1: '' and the service name are overall readiness (NOT_SERVING until the preloaded models
  // are warm, and again from the first moment of shutdown); `<service>/<model>` follows each model.
  const health = createHealth(repository.names());
  health.setServing(OIP_SERVICE_NAME, false); // follows overall readiness, like the hub.inference.v1 name
  health.addToServer(server);
  repository.onStateChange((name, state) => {
    if (!draining) health.setModel(name, state === 'READY');
  });
  server.addService(inferenceServiceDefinition(), createInferenceService({
    predictor, repository, adminToken: config.adminToken, adminWithoutToken: isLoopback(config.grpcAddress), isDraining: () => draining, track,
  }));
  // Open Inference Protocol (KServe v2) on the same port, over the same predictor and health registry.
  server.addService(oipServiceDefinition(), createKserveService({
    predictor, repository, health, adminToken: config.adminToken, adminWithoutToken: isLoopback(config.grpcAddress), isDraining: () => draining, track,
  }));
  let grpcAddress: string;
  let sessions: SessionTracker;
  const streamTable = config.compactStreamTable
    ? new StreamTableAdopter(() => log.warn('HTTP/2 stream table: this Node keeps its session streams differently; they stay in its Map, which at high call rates makes full GCs frequent (src/server/stream-table.ts)'))
    : undefined;
  try {
    grpcAddress = await bindServer(server, config.grpcAddress, serverCredentials(config.tls));
    sessions = trackSessions(server, streamTable?.adopt);
    if (sessions.listeners === 0) log.warn('grpc-js no longer exposes its HTTP/2 servers: connections still open outlive a forced shutdown, and streams stay in Node\'s Map (src/server/grpc-server.ts, stream-table.ts)');
  } catch (e) {
    await engine.close();
    await cache?.close();
    throw e;
  }
  let metricsServer: MetricsServer | undefined;
  try {
    if (config.metricsAddress) metricsServer = await startMetricsServer(config.metricsAddress, registry);
  } catch (e) {
    server.forceShutdown();
    await engine.close();
    await cache?.close();
    throw e;
  }
  const metricsAddress = metricsServer?.address;
  log.info({ grpcAddress, metricsAddress }, 'listening; preloading models');
  if (!config.adminToken) {
    if (isLoopback(config.grpcAddress)) log.warn('admin RPCs (LoadModel, UnloadModel) are open without a token: the server listens on loopback only');
    else log.warn('admin RPCs (LoadModel, UnloadModel) are disabled: set HUB_ADMIN_TOKEN to enable them');
  }

  await residency.start(config.preloadTop);
  health.setOverall(true);
  health.setServing(OIP_SERVICE_NAME, true);
  log.info({ grpcAddress, metricsAddress, models: repository.list().map((m) => `${m.name}:${m.state}`) }, 'serving');

  let shuttingDown: Promise<ShutdownOutcome> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<ShutdownOutcome> => {
    shuttingDown ??= (async () => {
      draining = true;
      health.setAll(false);
      log.info({ reason, inflight }, 'shutting down: draining accepted calls');
      // Stop accepting calls, then finish every accepted one (queued and in flight), bounded.
      const graceful = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      // No more loads ahead of demand while draining; usage is persisted now (every accepted call is counted).
      const residencyClosed = residency.close();
      const drained = (async () => { await repository.drain(); await allSettled(); })();
      const outcome = await raceTimeout(drained, config.shutdownTimeoutMs);
      const cutCalls = outcome === 'timeout' ? inflight : 0;
      if (outcome === 'timeout') log.error({ cutCalls, timeoutMs: config.shutdownTimeoutMs }, 'graceful shutdown timed out: cutting accepted calls that had not finished');
      else await raceTimeout(graceful, 500); // let answers flush; what remains are long-lived streams (health Watch)
      server.forceShutdown();
      const cutSessions = sessions.destroyAll();
      if (cutSessions > 0) log.info({ cutSessions }, 'closed the connections still open');
      await residencyClosed;
      scheduler.close();
      await engine.close();
      await cache?.close();
      await metricsServer?.close();
      log.info({ cutCalls }, 'shutdown complete');
      return { cutCalls };
    })();
    return shuttingDown;
  };

  return { config, grpcAddress, metricsAddress, repository, engine, predictor, cache, residency, server, streamTable, shutdown };
}
