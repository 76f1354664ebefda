/**
 * Fleet: many small models under a memory budget, three residency policies on the same trace.
 *
 * Builds the fleet trace's 30 MLP versions (models/builder/fleet-models.ts) in a temp repository, sets a
 * budget that holds about 10 of them, and for each policy (static, lru, predicted) starts a fresh server
 * with that budget and a compressed residency clock, then replays the same open-loop trace (several
 * simulated days in about a minute) from a Node client. Measured per policy: ready time with the preload,
 * cold starts per simulated day (hub_cold_starts_total), client latency percentiles, errors, peak RSS.
 * The predicted policy starts without history and learns during day 1; the report states every figure for
 * all days and for days 2+ (after that first day), the window the targets are judged on.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFleetModels } from '../../models/builder/fleet-models.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { defaultMemoryFactor } from '../../src/residency/memory-budget.js';
import { SERVICE_DEFAULTS } from '../../src/config/service-config.js';
import { scrapeMetrics, sumSamples } from '../harness/prometheus-text.js';
import { startServer, type ServerHandle } from '../harness/server-process.js';
import { replayTrace, type ReplayRecord } from '../load/trace-replay.js';
import { summarizeLatencies } from '../load/latency-stats.js';
import { fleetTrace, type FleetTrace } from '../workload/fleet-trace.js';
import type { BenchContext } from './bench-context.js';

/** The policies compared, in run order. */
export const FLEET_POLICIES = ['static', 'lru', 'predicted'] as const;
/** Models the budget holds, at the fleet's mean charge. */
export const FLEET_BUDGET_MODELS = 10;
/** Models preloaded at start (HUB_PRELOAD_TOP). */
const PRELOAD_TOP = 10;
/** Monday 2026-01-05 00:00 UTC: the simulated start of the trace. */
const TRACE_START = Date.UTC(2026, 0, 5);
/** Real ms between spawning a server and the trace's start (its clock shows TRACE_START then). */
const STARTUP_SLACK_MS = 10_000;
/** Calls slower than this count as "slow" in the report (a warm call takes a few ms). */
const SLOW_MS = 50;

/** Settings of one run length. */
interface FleetMode { readonly days: number; readonly secondsPerHour: number }
const FLEET_MODES: Readonly<Record<BenchContext['mode'], FleetMode>> = {
  smoke: { days: 2, secondsPerHour: 0.25 },
  quick: { days: 3, secondsPerHour: 0.5 },
  full: { days: 5, secondsPerHour: 0.5 },
};

/** Residency settings every fleet server gets, in simulated (clock) time where it says so. */
export const FLEET_RESIDENCY = Object.freeze({
  /** Real ms between ticks. */
  tickMs: 50,
  /**
   * Clock seconds: 90 simulated minutes. The compressed clock stretches loads: at 0.5 s per simulated hour a
   * load of ~50-300 ms real takes 6-36 simulated minutes, and loads ahead are paced (one at a time, a pause as
   * long as the load between them), so a day's start needs this much room to load its models in time.
   */
  leadSeconds: 5400,
  /** Clock seconds of the usage EWMA. */
  ewmaSeconds: 600,
});

/** One policy's outcome. */
export interface FleetPolicyResult {
  readonly policy: string;
  /** Spawn to "serving" (process start, workers, the preload and its warm-up), ms. */
  readonly readyMs: number;
  /** Models READY when serving began. */
  readonly preloaded: number;
  readonly calls: number;
  readonly errors: number;
  /** hub_cold_starts_total over each simulated day. */
  readonly coldStartsByDay: readonly number[];
  readonly all: LatencyFigures;
  /** Days 2+ (after the first simulated day). */
  readonly afterDay1: LatencyFigures;
  readonly loadsAhead: number;
  readonly loadsOnDemand: number;
  readonly evictions: number;
  readonly rssAtReadyMb: number;
  /** VmHWM of the server process at the end: the peak RSS of the whole run. */
  readonly peakRssMb: number;
  /** 1-minute load average of the machine before and after the replay (2 cores shared: others' work shows here). */
  readonly loadAverage: readonly [number, number];
}

/** Latency and slow calls over a window. */
export interface LatencyFigures {
  readonly calls: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Calls slower than SLOW_MS. */
  readonly slow: number;
}

/** The scenario's result. */
export interface FleetResult {
  readonly days: number;
  readonly secondsPerHour: number;
  readonly models: number;
  readonly calls: number;
  readonly bursts: number;
  readonly budgetBytes: number;
  readonly meanChargeBytes: number;
  readonly memoryFactor: number;
  readonly workers: number;
  readonly slowMs: number;
  readonly residency: typeof FLEET_RESIDENCY;
  readonly policies: readonly FleetPolicyResult[];
}

function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function figures(records: readonly ReplayRecord[]): LatencyFigures {
  const ok = records.filter((r) => r.code === 0).map((r) => r.latencyMs);
  const s = summarizeLatencies(ok);
  return { calls: records.length, p50Ms: s.p50Ms, p95Ms: s.p95Ms, p99Ms: s.p99Ms, maxMs: s.maxMs, slow: ok.filter((v) => v > SLOW_MS).length };
}

async function counter(server: ServerHandle, name: string, filter: Record<string, string> = {}): Promise<number> {
  if (!server.metricsAddress) return Number.NaN;
  return sumSamples(await scrapeMetrics(server.metricsAddress), name, filter);
}

/** A Predict body per model: one seeded row, raw float32, cache bypassed. */
function requestsFor(root: string, trace: FleetTrace): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const m of trace.models) {
    const cfg = readModelConfig(path.join(root, m.name, 'config.json'), m.name);
    const t = sampleInputs(cfg, 1, m.seed).features;
    if (!t) throw new Error(`${m.name}: no features input`);
    out.set(m.name, {
      model: m.name, cache: 'CACHE_POLICY_BYPASS',
      inputs: [{ name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape: t.shape.map(String), raw: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength) }],
    });
  }
  return out;
}

/** Runs the fleet scenario. */
export async function runFleetScenario(ctx: BenchContext): Promise<FleetResult> {
  const mode = FLEET_MODES[ctx.mode];
  const trace = fleetTrace({ days: mode.days, secondsPerHour: mode.secondsPerHour, seed: 7 });
  const root = mkdtempSync(path.join(os.tmpdir(), 'hub-fleet-bench-'));
  try {
    const sizes = writeFleetModels(path.join(root, 'models'), trace.models);
    const factor = defaultMemoryFactor(ctx.workers, SERVICE_DEFAULTS.idleIntraOpThreads);
    const meanCharge = [...sizes.values()].reduce((a, b) => a + b, 0) / sizes.size * factor;
    const budgetBytes = Math.round(FLEET_BUDGET_MODELS * meanCharge);
    ctx.progress(`fleet: ${trace.models.length} models in ${root}, budget ${(budgetBytes / 2 ** 20).toFixed(1)} MiB (~${FLEET_BUDGET_MODELS} models at ${(meanCharge / 2 ** 20).toFixed(2)} MiB each); ${trace.calls.length} calls over ${mode.days} simulated days at ${mode.secondsPerHour} s per simulated hour`);
    const requests = requestsFor(path.join(root, 'models'), trace);
    const policies: FleetPolicyResult[] = [];
    for (const policy of FLEET_POLICIES) policies.push(await runPolicy(ctx, policy, trace, path.join(root, 'models'), root, budgetBytes, requests));
    const result: FleetResult = {
      days: mode.days, secondsPerHour: mode.secondsPerHour, models: trace.models.length, calls: trace.calls.length, bursts: trace.bursts.length,
      budgetBytes, meanChargeBytes: meanCharge, memoryFactor: factor, workers: ctx.workers, slowMs: SLOW_MS, residency: FLEET_RESIDENCY, policies,
    };
    process.stdout.write(`\n${fleetMarkdown(result)}\n`);
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** One policy against a fresh server. */
async function runPolicy(ctx: BenchContext, policy: string, trace: FleetTrace, modelRepository: string, root: string, budgetBytes: number, requests: Map<string, Record<string, unknown>>): Promise<FleetPolicyResult> {
  const dayMs = 24 * trace.secondsPerHour * 1000;
  const spawnedAt = Date.now();
  const origin = spawnedAt + STARTUP_SLACK_MS;
  ctx.progress(`fleet: starting server (policy ${policy})`);
  const server = await startServer({
    root: ctx.root, modelRepository, workers: ctx.workers,
    env: {
      HUB_MODEL_MEMORY_BYTES: String(budgetBytes), HUB_RESIDENCY_POLICY: policy, HUB_PRELOAD_TOP: String(PRELOAD_TOP),
      HUB_CLOCK_SECONDS_PER_HOUR: String(trace.secondsPerHour), HUB_CLOCK_START: new Date(TRACE_START).toISOString(), HUB_CLOCK_ORIGIN_MS: String(origin),
      HUB_RESIDENCY_TICK_MS: String(FLEET_RESIDENCY.tickMs), HUB_RESIDENCY_LEAD_SECONDS: String(FLEET_RESIDENCY.leadSeconds),
      HUB_RESIDENCY_EWMA_SECONDS: String(FLEET_RESIDENCY.ewmaSeconds),
      // A fresh history per policy: the predicted policy learns from this run only.
      HUB_USAGE_FILE: path.join(root, `usage-${policy}.json`), HUB_USAGE_PERSIST_MS: '2000',
    },
  });
  try {
    const readyMs = Date.now() - spawnedAt;
    const rssAtReadyMb = procStatusMb(server.pid, 'VmRSS');
    const preloaded = await readyModels(server);
    ctx.progress(`fleet: ${policy}: serving after ${(readyMs / 1000).toFixed(2)} s with ${preloaded} models preloaded and warm; replaying ${trace.calls.length} calls`);
    if (Date.now() > origin - 500) throw new Error(`the server took ${(readyMs / 1000).toFixed(1)} s to serve, more than the ${STARTUP_SLACK_MS / 1000} s the trace waits for it`);
    await new Promise((r) => setTimeout(r, origin - Date.now()));
    const loadBefore = os.loadavg()[0] as number;
    const coldAt: Promise<number>[] = [counter(server, 'hub_cold_starts_total')];
    const marks = Array.from({ length: trace.days }, (_, d) => ({ atMs: (d + 1) * dayMs, run: () => { coldAt.push(counter(server, 'hub_cold_starts_total')); } }));
    // The last mark fires only if a call is still due after it: take the end-of-trace reading after the replay.
    const records = await replayTrace({ address: server.grpcAddress, calls: trace.calls, requests, deadlineMs: 10_000, marks: marks.slice(0, -1) });
    coldAt.push(counter(server, 'hub_cold_starts_total'));
    const cold = await Promise.all(coldAt);
    const coldStartsByDay = cold.slice(1).map((v, i) => v - (cold[i] as number));
    const result: FleetPolicyResult = {
      policy, readyMs, preloaded, calls: records.length, errors: records.filter((r) => r.code !== 0).length, coldStartsByDay,
      all: figures(records), afterDay1: figures(records.filter((r) => r.sentAtMs >= dayMs)),
      loadsAhead: await counter(server, 'hub_residency_decisions_total', { action: 'load', reason: 'ahead' }),
      loadsOnDemand: await counter(server, 'hub_residency_decisions_total', { action: 'load', reason: 'request' }),
      evictions: await counter(server, 'hub_residency_decisions_total', { action: 'evict' }),
      rssAtReadyMb, peakRssMb: procStatusMb(server.pid, 'VmHWM'),
      loadAverage: [loadBefore, os.loadavg()[0] as number],
    };
    ctx.progress(`fleet: ${policy}: cold starts ${coldStartsByDay.join(' + ')} (by day), p99 ${result.all.p99Ms.toFixed(1)} ms (days 2+: ${result.afterDay1.p99Ms.toFixed(1)} ms), ${result.errors} errors, peak RSS ${result.peakRssMb.toFixed(0)} MB`);
    return result;
  } finally {
    await server.stop();
  }
}

async function readyModels(server: ServerHandle): Promise<number> {
  if (!server.metricsAddress) return Number.NaN;
  return sumSamples(await scrapeMetrics(server.metricsAddress), 'hub_models_loaded');
}

/** The fleet section of the Markdown report. */
export function fleetMarkdown(r: FleetResult): string {
  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const sum = (a: readonly number[]): number => a.reduce((x, y) => x + y, 0);
  const lru = r.policies.find((p) => p.policy === 'lru');
  const pred = r.policies.find((p) => p.policy === 'predicted');
  const lines = [
    `## Fleet: ${r.models} models under a memory budget (${r.days} simulated days, ${r.secondsPerHour} s per simulated hour)`, '',
    `Same trace for every policy (${r.calls} calls, open loop: 9 tenants x 3 models on business-day schedules in their time zones, 2 pinned always-on models, a nightly job, ${r.bursts} unannounced bursts), ` +
    `same budget: ${f(r.budgetBytes / 2 ** 20, 1)} MiB = ~${FLEET_BUDGET_MODELS} models at the mean charge of ${f(r.meanChargeBytes / 2 ** 20, 2)} MiB ` +
    `(ONNX bytes x ${r.memoryFactor}, ${r.workers} workers), a fresh server per policy. The predicted policy starts without history and learns on day 1: ` +
    `"days 2+" is after that first day. Residency tick ${r.residency.tickMs} ms (real), lead ${r.residency.leadSeconds / 60} min and EWMA ${r.residency.ewmaSeconds / 60} min (simulated).`, '',
    '| policy | ready (s) | preloaded | cold starts by day | cold starts days 2+ | calls | errors | p50 ms | p95 ms | p99 ms | p95 ms days 2+ | p99 ms days 2+ | calls > ' + `${r.slowMs} ms | loads ahead / on demand | evictions | peak RSS MB | load avg before / after |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.policies.map((p) => `| ${p.policy} | ${f(p.readyMs / 1000, 2)} | ${f(p.preloaded)} | ${p.coldStartsByDay.map((c) => f(c)).join(' / ')} | ${f(sum(p.coldStartsByDay.slice(1)))} | ${p.calls} | ${p.errors} | ${f(p.all.p50Ms, 2)} | ${f(p.all.p95Ms, 2)} | ${f(p.all.p99Ms, 1)} | ${f(p.afterDay1.p95Ms, 2)} | ${f(p.afterDay1.p99Ms, 1)} | ${p.all.slow} | ${f(p.loadsAhead)} / ${f(p.loadsOnDemand)} | ${f(p.evictions)} | ${f(p.peakRssMb)} | ${f(p.loadAverage[0], 1)} / ${f(p.loadAverage[1], 1)} |`),
    '',
  ];
  if (lru && pred) {
    const lruCold = sum(lru.coldStartsByDay.slice(1));
    const predCold = sum(pred.coldStartsByDay.slice(1));
    const ratio = lruCold > 0 ? predCold / lruCold : Number.NaN;
    lines.push(`Targets (days 2+): predicted cold starts ${f(predCold)} = ${f(ratio * 100)}% of LRU's ${f(lruCold)} (target <= 50%: ${ratio <= 0.5 ? 'met' : '**not met**'}); ` +
      `p99 ${f(pred.afterDay1.p99Ms, 1)} ms vs LRU ${f(lru.afterDay1.p99Ms, 1)} ms (target lower: ${pred.afterDay1.p99Ms < lru.afterDay1.p99Ms ? 'met' : '**not met**'}). ` +
      `All days including the learning day: ${f(sum(pred.coldStartsByDay))} vs ${f(sum(lru.coldStartsByDay))} cold starts, p99 ${f(pred.all.p99Ms, 1)} vs ${f(lru.all.p99Ms, 1)} ms.`);
  }
  const ready = r.policies.map((p) => p.readyMs / 1000);
  lines.push(`Ready time with ${PRELOAD_TOP} models preloaded and warmed (spawn to "serving"): ${f(Math.min(...ready), 2)}-${f(Math.max(...ready), 2)} s (target < 5 s: ${Math.max(...ready) < 5 ? 'met' : '**not met**'}).`, '');
  return lines.join('\n');
}
