/**
 * Reload: what loading a model does to the callers of another one.
 *
 * A light lead-scoring probe (its own process, 50 calls/s) runs alone, then while lead-intent (the largest
 * bundled model, 21 MB) is reloaded by the admin RPC a few times in a row, one second apart. A load creates
 * the variant's sessions on the workers and profiles them there; what it still does on the event loop (the
 * load-time checks, the batcher set-up, the main-thread session of a tiny variant) delays every caller of every
 * model. Reported: the probe's latency quiet and during the reloads, and the event loop's longest delay during
 * each reload (prom-client's `hub_nodejs_eventloop_lag_max_seconds`, which restarts at every scrape).
 */
import { performance } from 'node:perf_hooks';
import { hubClient } from '../harness/hub-client.js';
import { scrapeMetrics, sumSamples } from '../harness/prometheus-text.js';
import { summarizeLatencies } from '../load/latency-stats.js';
import type { CallRecord } from '../load/open-loop.js';
import { probeProcess } from './overload-scenario.js';
import { withServer } from './with-server.js';
import type { BenchContext } from './bench-context.js';

/** The model reloaded. */
const RELOADED = 'lead-intent';

/** Latency of the probe's answered calls. */
export interface ProbeLatency {
  readonly calls: number;
  readonly errors: number;
  /** Failed calls by gRPC status and hub error code, e.g. `4/DEADLINE_EXCEEDED`. */
  readonly errorCodes: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The scenario's outcome. */
export interface ReloadResult {
  readonly model: string;
  /** Wall time of each LoadModel call. */
  readonly reloadMs: readonly number[];
  /** The event loop's longest delay during each reload; NaN without a metrics address. */
  readonly lagMaxMs: readonly number[];
  readonly quiet: ProbeLatency;
  readonly duringReloads: ProbeLatency;
}

function latency(records: readonly CallRecord[]): ProbeLatency {
  const ok = records.filter((r) => r.code === 0);
  const s = summarizeLatencies(ok.map((r) => r.latencyMs));
  const errorCodes: Record<string, number> = {};
  for (const r of records) if (r.code !== 0) { const k = `${r.code}/${r.hubCode ?? '-'}`; errorCodes[k] = (errorCodes[k] ?? 0) + 1; }
  return { calls: records.length, errors: records.length - ok.length, errorCodes, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
}

async function lagMaxMs(metricsAddress: string | undefined): Promise<number> {
  if (!metricsAddress) return Number.NaN;
  return sumSamples(await scrapeMetrics(metricsAddress), 'hub_nodejs_eventloop_lag_max_seconds') * 1000;
}

/** Runs the scenario (quick: 3 reloads; full: 6). */
export async function runReloadScenario(ctx: BenchContext): Promise<ReloadResult> {
  const reloads = ctx.mode === 'full' ? 6 : ctx.mode === 'quick' ? 3 : 1;
  const probeSeconds = ctx.mode === 'full' ? 10 : 3;
  return withServer(ctx, 'reload, adaptive', { batching: 'adaptive' }, async (server) => {
    const client = hubClient(server.grpcAddress);
    // The bench server listens on loopback without an admin token, so the admin RPCs are open.
    const reload = (): Promise<unknown> => client.unary('LoadModel', { model: RELOADED });
    try {
      await probeProcess(ctx, server.grpcAddress, 1000); // warm the server's code paths
      await reload(); // and the reload path once
      const quiet = latency(await probeProcess(ctx, server.grpcAddress, probeSeconds * 1000));
      ctx.progress(`reload: quiet lead-scoring probe p99 ${quiet.p99Ms.toFixed(2)} ms, max ${quiet.maxMs.toFixed(1)} ms`);
      const reloadMs: number[] = [];
      const lags: number[] = [];
      // The probe runs for as long as the reloads are expected to take; the reloads start once it is going.
      const probe = probeProcess(ctx, server.grpcAddress, reloads * 4000);
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < reloads; i++) {
        await lagMaxMs(server.metricsAddress); // restarts the lag histogram
        const t0 = performance.now();
        await reload();
        reloadMs.push(performance.now() - t0);
        lags.push(await lagMaxMs(server.metricsAddress));
        await new Promise((r) => setTimeout(r, 1000));
      }
      const duringReloads = latency(await probe);
      const result: ReloadResult = { model: RELOADED, reloadMs, lagMaxMs: lags, quiet, duringReloads };
      ctx.progress(`reload: ${reloads} reloads of ${RELOADED} (${reloadMs.map((x) => x.toFixed(0)).join('/')} ms); event loop's longest delay ${lags.map((x) => x.toFixed(0)).join('/')} ms; probe p99 ${duringReloads.p99Ms.toFixed(2)} ms, max ${duringReloads.maxMs.toFixed(1)} ms`);
      return result;
    } finally {
      client.close();
    }
  });
}

/** The reload section of the Markdown report. */
export function reloadMarkdown(r: ReloadResult): string {
  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const probe = (p: ProbeLatency): string => `${f(p.p50Ms, 2)} / ${f(p.p99Ms, 2)} / ${f(p.maxMs, 1)} ms (${p.calls} calls, ${p.errors} errors)`;
  const n = r.reloadMs.length;
  return [`## Reload (${r.model} reloaded ${n} time${n === 1 ? '' : 's'} while lead-scoring is called)`, '',
    '| figure | measured |', '|---|---|',
    `| LoadModel wall time per reload | ${r.reloadMs.map((x) => f(x)).join(' / ')} ms |`,
    `| event loop's longest delay during each reload | ${r.lagMaxMs.map((x) => f(x)).join(' / ')} ms |`,
    `| lead-scoring probe p50 / p99 / max, quiet | ${probe(r.quiet)} |`,
    `| lead-scoring probe p50 / p99 / max, during the reloads | ${probe(r.duringReloads)} |`,
    '', 'The event loop\'s delay is prom-client\'s monitor (10 ms resolution, so about 10 ms is its floor). The probe is a separate process at 50 calls/s; its window covers the reloads and the second after each.', ''].join('\n');
}
