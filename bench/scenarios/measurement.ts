/**
 * One measured point: drive load against a running server, and read the server's side of it (requests
 * by outcome, rows computed, engine runs, cache lookups, CPU seconds) from /metrics and /proc deltas.
 */
import { scrapeMetrics, sumSamples, type Sample } from '../harness/prometheus-text.js';
import { processCpuSeconds } from '../harness/process-cpu.js';
import type { ServerHandle } from '../harness/server-process.js';
import type { LoadResult } from '../load/load-result.js';

/** Server-side counters over a run (undefined when the server exposes no metrics). */
export interface ServerCounters {
  readonly okRequests: number;
  readonly errorRequests: number;
  readonly computedRows: number;
  readonly executions: number;
  readonly l1Hits: number;
  readonly l1Misses: number;
  readonly l2Hits: number;
  readonly l2Misses: number;
  readonly singleFlightShared: number;
}

/** A measured point as stored in results JSON: its PointSpec (config = server configuration compared,
 * e.g. "adaptive", "L1+L2") plus what was measured. */
export interface Measurement extends PointSpec {
  readonly load: LoadResult;
  /** Successful calls per second (client completed minus errors). */
  readonly okPerSecond: number;
  /** Predictions (rows) answered per second. */
  readonly rowsPerSecond: number;
  /** Client-side + server-side (non-OK grpc status) errors. */
  readonly errors: number;
  readonly server: ServerCounters | undefined;
  /** Mean rows per engine run (rows / executions), when any ran. */
  readonly meanBatchSize: number | undefined;
  /** Server CPU seconds used during the run (all threads). */
  readonly serverCpuSeconds: number | undefined;
  /** Average cores the server kept busy. */
  readonly serverCores: number | undefined;
  /** Predictions per server core-second: the figure the cost model uses. */
  readonly predictionsPerCoreSecond: number | undefined;
  /** Cache hit rate over all lookups (L1 hit, or L1 miss then L2 hit). */
  readonly cacheHitRate: number | undefined;
}

/** What a measurement describes. */
export interface PointSpec {
  readonly scenario: string;
  readonly config: string;
  readonly model: string;
  readonly variant: string;
  readonly rowsPerRequest: number;
  readonly concurrency: number;
}

function counters(s: readonly Sample[]): ServerCounters {
  const cache = (tier: string, result: string): number => sumSamples(s, 'hub_cache_requests_total', { tier, result });
  return {
    okRequests: sumSamples(s, 'hub_requests_total', { code: 'OK' }),
    // CANCELLED is the load generator tearing down streams still queued when its run ends (h2load -D):
    // not a server error, and it would otherwise land in the next point's window.
    errorRequests: sumSamples(s, 'hub_requests_total', { code: { not: 'OK' } }) - sumSamples(s, 'hub_requests_total', { code: 'CANCELLED' }),
    computedRows: sumSamples(s, 'hub_inference_rows_total'),
    executions: sumSamples(s, 'hub_executions_total'),
    l1Hits: cache('l1', 'hit'), l1Misses: cache('l1', 'miss'), l2Hits: cache('l2', 'hit'), l2Misses: cache('l2', 'miss'),
    singleFlightShared: sumSamples(s, 'hub_cache_single_flight_shared_total'),
  };
}

function diff(a: ServerCounters, b: ServerCounters): ServerCounters {
  const out: Record<string, number> = {};
  for (const k of Object.keys(a) as (keyof ServerCounters)[]) out[k] = b[k] - a[k];
  return out as unknown as ServerCounters;
}

async function tryScrape(server: ServerHandle): Promise<ServerCounters | undefined> {
  if (!server.metricsAddress) return undefined;
  try { return counters(await scrapeMetrics(server.metricsAddress)); } catch { return undefined; }
}

/** Runs `drive` against `server` and combines client and server figures. */
export async function measure(server: ServerHandle, spec: PointSpec, drive: () => Promise<LoadResult>): Promise<Measurement> {
  const before = await tryScrape(server);
  const cpu0 = processCpuSeconds(server.pid);
  const load = await drive();
  const cpu1 = processCpuSeconds(server.pid);
  const after = await tryScrape(server);
  const srv = before && after ? diff(before, after) : undefined;
  const errors = load.clientErrors + (load.tool === 'h2load' && srv ? srv.errorRequests : 0);
  const okPerSecond = Math.max(0, load.completed - errors) / load.durationSeconds;
  const rowsPerSecond = okPerSecond * spec.rowsPerRequest;
  const serverCpuSeconds = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined;
  // Predictions the server answered in the window: from its own counter when it has one (includes any
  // warm-up overlap consistently with the CPU window), else from the client.
  const answeredRows = srv && srv.okRequests > 0 ? srv.okRequests * spec.rowsPerRequest : Math.max(0, load.completed - errors) * spec.rowsPerRequest;
  const lookups = srv ? srv.l1Hits + srv.l1Misses : 0;
  return {
    ...spec,
    load,
    okPerSecond,
    rowsPerSecond,
    errors,
    server: srv,
    meanBatchSize: srv && srv.executions > 0 ? srv.computedRows / srv.executions : undefined,
    serverCpuSeconds,
    serverCores: serverCpuSeconds !== undefined ? serverCpuSeconds / load.durationSeconds : undefined,
    predictionsPerCoreSecond: serverCpuSeconds ? answeredRows / serverCpuSeconds : undefined,
    cacheHitRate: srv && lookups > 0 ? (srv.l1Hits + srv.l2Hits) / lookups
      : load.cachedRows !== undefined && load.completed > 0 ? load.cachedRows / (load.completed * spec.rowsPerRequest) : undefined,
  };
}

/** One point per configuration: repeats (the counterbalanced passes) averaged, in first-seen order. */
export function meanOfRepeats(ms: readonly Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) {
    const k = `${m.config}|${m.model}|${m.variant}|${m.concurrency}`;
    const g = groups.get(k);
    if (g) g.push(m); else groups.set(k, [m]);
  }
  return [...groups.values()].map((g) => {
    const mean = (f: (m: Measurement) => number): number => g.reduce((a, m) => a + f(m), 0) / g.length;
    const first = g[0] as Measurement;
    return {
      ...first, okPerSecond: mean((m) => m.okPerSecond), rowsPerSecond: mean((m) => m.rowsPerSecond),
      load: { ...first.load, latency: { ...first.load.latency, p50Ms: mean((m) => m.load.latency.p50Ms), p95Ms: mean((m) => m.load.latency.p95Ms) } },
      serverCpuSeconds: first.serverCpuSeconds === undefined ? undefined : mean((m) => m.serverCpuSeconds ?? 0),
      predictionsPerCoreSecond: g.every((m) => m.predictionsPerCoreSecond !== undefined) ? mean((m) => m.predictionsPerCoreSecond ?? 0) : undefined,
    };
  });
}
