/**
 * The bench as a library: run scenarios against freshly started servers, then write the results JSON,
 * the Markdown report and its SVG charts. bench/run.ts is the CLI over it; the smoke test calls it too.
 */
import { runNaiveScenario } from './scenarios/naive-scenario.js';
import { runOverloadScenario, type OverloadResult } from './scenarios/overload-scenario.js';
import { runReloadScenario, type ReloadResult } from './scenarios/reload-scenario.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScenarioName } from './cli-args.js';
import type { EnginePoint } from './engine/engine-ceiling.js';
import { runBatchingScenario, COST_CONCURRENCY } from './scenarios/batching-scenario.js';
import { runVariantScenario } from './scenarios/variant-scenario.js';
import { runCacheScenario, type ZipfTraffic } from './scenarios/cache-scenario.js';
import { runMixedScenario } from './scenarios/mixed-scenario.js';
import { runEngineCeiling, runTransportCeiling } from './scenarios/limits-scenario.js';
import { runOipScenario } from './scenarios/oip-scenario.js';
import { runTuningScenario, type ProfileSummary } from './scenarios/tuning-scenario.js';
import { runFleetScenario, type FleetResult } from './scenarios/fleet-scenario.js';
import type { Measurement } from './scenarios/measurement.js';
import type { BenchContext } from './scenarios/bench-context.js';
import { costTable, type CostAssumptions } from './report/cost-model.js';
import { batchingCharts } from './report/charts.js';
import { markdownReport } from './report/markdown-report.js';
import type { BenchResults, MachineInfo } from './report/bench-results.js';
import { SERVICE_DEFAULTS } from '../src/config/service-config.js';

/** Facts about this machine. */
export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8');
    const extras = ['avx512_vnni', 'avx512f', 'avx2'].filter((f) => new RegExp(`\\b${f}\\b`).test(flags));
    if (extras.length) cpuModel += ` [${extras.join(', ')}]`;
  } catch { /* not Linux */ }
  return { cpuModel, logicalCpus: os.availableParallelism(), node: process.version, platform: `${os.platform()} ${os.arch()}` };
}

/** Runs the chosen scenarios in order and assembles the results. */
export async function runBench(ctx: BenchContext, scenarios: readonly ScenarioName[], cost: CostAssumptions): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const measurements: Measurement[] = [];
  let engine: EnginePoint[] = [];
  let zipf: ZipfTraffic | undefined;
  let overload: OverloadResult | undefined;
  let reload: ReloadResult | undefined;
  let profiles: ProfileSummary[] | undefined;
  let fleet: FleetResult | undefined;
  const notes: string[] = [];
  for (const [i, s] of scenarios.entries()) {
    ctx.progress(`== scenario ${i + 1}/${scenarios.length}: ${s}`);
    switch (s) {
      case 'batching': measurements.push(...await runBatchingScenario(ctx)); break;
      case 'variant': measurements.push(...await runVariantScenario(ctx)); break;
      case 'cache': {
        const r = await runCacheScenario(ctx);
        measurements.push(...r.measurements);
        zipf = r.traffic;
        const replica = r.measurements.find((m) => m.config.startsWith('L1+L2 (new replica'));
        if (replica?.cacheHitRate !== undefined && replica.cacheHitRate < 0.95) {
          notes.push(`A fresh replica with a warm Redis L2 hit only ${(replica.cacheHitRate * 100).toFixed(1)}% although every row it was asked for is in Redis: L2 reads are probably missing their deadline (HUB_REDIS_READ_TIMEOUT_MS, default ${SERVICE_DEFAULTS.cache.redisReadTimeoutMs} ms) and counting as misses. The bench passes its environment to the servers: rerun with HUB_REDIS_READ_TIMEOUT_MS=200 to check.`);
        }
        if (ctx.tool !== 'ghz') notes.push('Cache scenario driven by the node:http2 sequence driver (h2load repeats one body, ghz not installed): its calls/s are bounded by the Node client, not the server; hit rates and CPU per prediction are unaffected.');
        break;
      }
      case 'mixed': measurements.push(...await runMixedScenario(ctx)); break;
      case 'overload': overload = await runOverloadScenario(ctx); break;
      case 'reload': reload = await runReloadScenario(ctx); break;
      case 'naive': measurements.push(...await runNaiveScenario(ctx)); break;
      case 'limits':
        measurements.push(...await runTransportCeiling(ctx));
        engine = await runEngineCeiling(ctx);
        break;
      case 'oip': measurements.push(...await runOipScenario(ctx)); break;
      case 'tuning': {
        const r = await runTuningScenario(ctx);
        measurements.push(...r.measurements);
        profiles = r.profiles;
        break;
      }
      case 'fleet': fleet = await runFleetScenario(ctx); break;
    }
  }
  if (ctx.tool === 'h2load' && measurements.length > 0) notes.push('h2load ignores grpc-status: errors = h2load failures + hub_requests_total{code!="OK"} delta from the server\'s /metrics. h2load repeats one request body per process; the ghz configs send several distinct rows round-robin.');
  if (measurements.some((m) => m.server === undefined)) notes.push('Some servers exposed no metrics address: mean batch size, server-side errors and cache hit rates are missing for those points.');
  const shared = measurements.reduce((a, m) => a + (m.server?.singleFlightShared ?? 0), 0);
  if (shared > 0) notes.push(`${shared} rows were answered by single-flight (identical in-flight rows): repeated bodies can inflate throughput where the cache is bypassed.`);
  const costConcurrency = ctx.settings.concurrencies.includes(COST_CONCURRENCY) ? COST_CONCURRENCY : Math.max(...ctx.settings.concurrencies);
  return {
    startedAt, finishedAt: new Date().toISOString(), mode: ctx.mode, tool: ctx.tool, scenarios, workers: ctx.workers,
    machine: machineInfo(), measurements, engine, ...(zipf ? { zipf } : {}), ...(overload ? { overload } : {}), ...(reload ? { reload } : {}), ...(profiles ? { profiles } : {}), ...(fleet ? { fleet } : {}),
    costAssumptions: cost, cost: costTable(measurements, cost, costConcurrency), costConcurrency, notes,
  };
}

/** Writes <stamp>.json, <stamp>.md and the chart SVGs into `outDir`; returns the file paths. */
export async function writeReport(results: BenchResults, outDir: string): Promise<{ json: string; markdown: string; svgs: string[] }> {
  mkdirSync(outDir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const json = path.join(outDir, `${stamp}.json`);
  writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  const charts = await batchingCharts(results.measurements);
  const svgs: string[] = [];
  let names: { throughput: string; p95: string } | undefined;
  if (charts) {
    names = { throughput: `${stamp}-throughput.svg`, p95: `${stamp}-p95.svg` };
    writeFileSync(path.join(outDir, names.throughput), charts.throughput);
    writeFileSync(path.join(outDir, names.p95), charts.p95);
    svgs.push(path.join(outDir, names.throughput), path.join(outDir, names.p95));
  }
  const markdown = path.join(outDir, `${stamp}.md`);
  writeFileSync(markdown, markdownReport(results, names));
  return { json, markdown, svgs };
}
