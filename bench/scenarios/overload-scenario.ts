/**
 * Overload: what one model's flood does to its own callers and to another model's.
 *
 * 1. Quiet: a light lead-scoring probe alone (its quiet p99).
 * 2. Capacity: lead-intent 64-row calls in a closed loop (rows/s the server sustains).
 * 3. Flood: lead-intent at 10x that capacity, open loop, each call with a 3 s deadline, while the same probe
 *    runs. Measured: goodput (rows answered within their deadline per second) against capacity, refusals
 *    and how fast they come back, rows computed for callers that had already gone (hub_wasted_rows_total),
 *    RSS growth, and the probe's p99 against its quiet p99.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { scrapeMetrics, sumSamples } from '../harness/prometheus-text.js';
import { runClosedLoop, runOpenLoop, type CallRecord, type OpenLoopStream } from '../load/open-loop.js';
import { summarizeLatencies } from '../load/latency-stats.js';
import { loadModelConfig } from '../workload/predict-requests.js';
import type { ServerHandle } from '../harness/server-process.js';
import { withServer } from './with-server.js';
import type { BenchContext } from './bench-context.js';

/** gRPC status codes the report distinguishes. */
const OK = 0;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;

/** The flood's outcome. */
export interface OverloadResult {
  readonly floodSeconds: number;
  readonly floodDeadlineMs: number;
  readonly capacityRowsPerSecond: number;
  readonly offeredRowsPerSecond: number;
  readonly sent: number;
  readonly ok: number;
  readonly refused: number;
  readonly refusedByCode: Readonly<Record<string, number>>;
  readonly deadlineExceeded: number;
  readonly otherErrors: number;
  readonly goodputRowsPerSecond: number;
  /** goodput / capacity. */
  readonly goodputRatio: number;
  readonly okP50Ms: number;
  readonly okP99Ms: number;
  readonly okMaxMs: number;
  readonly refusalP99Ms: number;
  readonly rowsComputed: number;
  readonly wastedRows: number;
  /** Rows computed in the 2 s after the flood stopped sending (work left over from the flood). */
  readonly rowsComputedAfter: number;
  readonly rssBeforeMb: number;
  readonly rssPeakMb: number;
  readonly probeQuietP99Ms: number;
  readonly probeFloodP99Ms: number;
  readonly probeFloodErrors: number;
  readonly probeRatio: number;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function counter(server: ServerHandle, name: string, model: string): Promise<number> {
  if (!server.metricsAddress) return Number.NaN;
  return sumSamples(await scrapeMetrics(server.metricsAddress), name, { model });
}

const p99 = (r: readonly CallRecord[]): number => summarizeLatencies(r.map((x) => x.latencyMs)).p99Ms;

/** The lead-scoring probe (50 calls/s, 1 s deadline) in a child process; resolves with its records. */
export function probeProcess(ctx: BenchContext, address: string, durationMs: number): Promise<CallRecord[]> {
  const script = path.join(ctx.root, 'dist', 'bench', 'load', 'open-loop-process.js');
  const stream = JSON.stringify({ name: 'probe', model: 'lead-scoring', rowsPerCall: 1, callsPerSecond: 50, deadlineMs: 1000 });
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, address, ctx.modelRepository, stream, String(durationMs)], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) { reject(new Error(`probe process failed: ${stderr || err.message}`)); return; }
      resolve(JSON.parse(stdout) as CallRecord[]);
    });
  });
}

/** Runs the overload scenario (quick: 6 s flood; full: 20 s, as issue #9 states the target). */
export async function runOverloadScenario(ctx: BenchContext): Promise<OverloadResult> {
  const floodSeconds = ctx.mode === 'full' ? 20 : ctx.mode === 'quick' ? 6 : 2;
  const probeSeconds = ctx.mode === 'full' ? 10 : 3;
  const deadlineMs = 3000;
  const intent = loadModelConfig(ctx.modelRepository, 'lead-intent');
  return withServer(ctx, 'overload, adaptive', { batching: 'adaptive' }, async (server) => {
    await probeProcess(ctx, server.grpcAddress, 1000); // warm the server's code paths
    const quiet = await probeProcess(ctx, server.grpcAddress, probeSeconds * 1000);
    const probeQuietP99Ms = p99(quiet.filter((r) => r.code === OK));
    ctx.progress(`overload: quiet lead-scoring probe p99 ${probeQuietP99Ms.toFixed(2)} ms`);
    const flood: OpenLoopStream = { name: 'flood', model: intent, rowsPerCall: 64, callsPerSecond: 1, deadlineMs };
    await runClosedLoop(server.grpcAddress, { ...flood, deadlineMs: 60_000 }, 4, 1000); // warm
    const cap = await runClosedLoop(server.grpcAddress, { ...flood, deadlineMs: 60_000 }, 4, ctx.mode === 'full' ? 8000 : 3000);
    const capSeconds = Math.max(...cap.map((r) => (r.sentAtMs + r.latencyMs) / 1000));
    const capacityRowsPerSecond = cap.filter((r) => r.code === OK).reduce((a, r) => a + r.rows, 0) / capSeconds;
    const callsPerSecond = Math.max(1, (10 * capacityRowsPerSecond) / 64);
    ctx.progress(`overload: lead-intent capacity ${capacityRowsPerSecond.toFixed(0)} rows/s; flooding ${callsPerSecond.toFixed(0)} calls/s x 64 rows for ${floodSeconds} s`);

    const rowsBefore = await counter(server, 'hub_inference_rows_total', 'lead-intent');
    const wastedBefore = await counter(server, 'hub_wasted_rows_total', 'lead-intent');
    const rssBeforeMb = rssMb(server.pid);
    let rssPeakMb = rssBeforeMb;
    const sampler = setInterval(() => { rssPeakMb = Math.max(rssPeakMb, rssMb(server.pid)); }, 200);
    const t0 = Date.now();
    let rowsAtStop = Number.NaN;
    const stopWatch = setTimeout(() => { void counter(server, 'hub_inference_rows_total', 'lead-intent').then((v) => { rowsAtStop = v; }); }, floodSeconds * 1000);
    // The probe runs in its own process: it must not queue behind the flood client's encoding work.
    const probeRecords = probeProcess(ctx, server.grpcAddress, floodSeconds * 1000);
    const floodRecords = await runOpenLoop(server.grpcAddress, [{ ...flood, callsPerSecond }], floodSeconds * 1000);
    const records = [...floodRecords, ...await probeRecords];
    clearTimeout(stopWatch);
    // Let anything still running finish, then see what the flood left behind.
    await new Promise((r) => setTimeout(r, Math.max(0, floodSeconds * 1000 + 2000 - (Date.now() - t0))));
    clearInterval(sampler);
    rssPeakMb = Math.max(rssPeakMb, rssMb(server.pid));
    const rowsAfter = await counter(server, 'hub_inference_rows_total', 'lead-intent');
    const wastedAfter = await counter(server, 'hub_wasted_rows_total', 'lead-intent');

    const fl = records.filter((r) => r.stream === 'flood');
    const pr = records.filter((r) => r.stream === 'probe');
    const ok = fl.filter((r) => r.code === OK);
    const refused = fl.filter((r) => r.code === RESOURCE_EXHAUSTED);
    const refusedByCode: Record<string, number> = {};
    for (const r of refused) refusedByCode[r.hubCode ?? 'grpc'] = (refusedByCode[r.hubCode ?? 'grpc'] ?? 0) + 1;
    const goodRows = ok.filter((r) => r.latencyMs <= deadlineMs).reduce((a, r) => a + r.rows, 0);
    const okLat = summarizeLatencies(ok.map((r) => r.latencyMs));
    const probeFloodP99Ms = p99(pr.filter((r) => r.code === OK));
    const result: OverloadResult = {
      floodSeconds, floodDeadlineMs: deadlineMs, capacityRowsPerSecond, offeredRowsPerSecond: callsPerSecond * 64,
      sent: fl.length, ok: ok.length, refused: refused.length, refusedByCode,
      deadlineExceeded: fl.filter((r) => r.code === DEADLINE_EXCEEDED).length,
      otherErrors: fl.filter((r) => r.code !== OK && r.code !== RESOURCE_EXHAUSTED && r.code !== DEADLINE_EXCEEDED).length,
      goodputRowsPerSecond: goodRows / floodSeconds,
      goodputRatio: goodRows / floodSeconds / capacityRowsPerSecond,
      okP50Ms: okLat.p50Ms, okP99Ms: okLat.p99Ms, okMaxMs: okLat.maxMs,
      refusalP99Ms: p99(refused),
      rowsComputed: rowsAfter - rowsBefore,
      wastedRows: wastedAfter - wastedBefore,
      rowsComputedAfter: rowsAfter - rowsAtStop,
      rssBeforeMb, rssPeakMb,
      probeQuietP99Ms, probeFloodP99Ms,
      probeFloodErrors: pr.filter((r) => r.code !== OK).length,
      probeRatio: probeFloodP99Ms / probeQuietP99Ms,
    };
    ctx.progress(`overload: goodput ${(result.goodputRatio * 100).toFixed(0)}% of capacity; ${result.refused} refused (p99 ${result.refusalP99Ms.toFixed(1)} ms), ${result.deadlineExceeded} deadline exceeded; wasted rows ${result.wastedRows}; RSS +${(rssPeakMb - rssBeforeMb).toFixed(0)} MB; probe p99 ${probeFloodP99Ms.toFixed(1)} ms (${result.probeRatio.toFixed(1)}x quiet)`);
    return result;
  });
}

/** The overload section of the Markdown report. */
export function overloadMarkdown(r: OverloadResult): string {
  const f = (n: number, d = 0): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const rows: [string, string, string][] = [
    ['lead-intent capacity (closed loop, 64 rows/call)', `${f(r.capacityRowsPerSecond)} rows/s`, ''],
    ['offered during the flood', `${f(r.offeredRowsPerSecond)} rows/s (${f(r.offeredRowsPerSecond / r.capacityRowsPerSecond, 1)}x) for ${r.floodSeconds} s, deadline ${r.floodDeadlineMs} ms`, ''],
    ['goodput (rows answered within deadline)', `${f(r.goodputRowsPerSecond)} rows/s = ${f(r.goodputRatio * 100)}% of capacity`, '>= 90%'],
    ['calls sent / ok / refused / deadline exceeded / other', `${r.sent} / ${r.ok} / ${r.refused} / ${r.deadlineExceeded} / ${r.otherErrors}`, ''],
    ['refusals by code', Object.entries(r.refusedByCode).map(([k, v]) => `${k} ${v}`).join(', ') || '-', ''],
    ['answered calls: p50 / p99 / max latency', `${f(r.okP50Ms, 1)} / ${f(r.okP99Ms, 1)} / ${f(r.okMaxMs, 1)} ms`, `max <= ${r.floodDeadlineMs} ms`],
    ['refusal latency p99', `${f(r.refusalP99Ms, 1)} ms`, '< 50 ms'],
    ['rows computed / for callers already gone', `${f(r.rowsComputed)} / ${f(r.wastedRows)}`, '0 wasted'],
    ['rows computed in the 2 s after the flood', f(r.rowsComputedAfter), ''],
    ['RSS before / peak', `${f(r.rssBeforeMb)} / ${f(r.rssPeakMb)} MB (+${f(r.rssPeakMb - r.rssBeforeMb)})`, '< +100 MB'],
    ['lead-scoring probe p99 quiet / during flood', `${f(r.probeQuietP99Ms, 2)} / ${f(r.probeFloodP99Ms, 2)} ms (${f(r.probeRatio, 1)}x), ${r.probeFloodErrors} errors`, '<= 2x'],
  ];
  return ['## Overload (lead-intent flood at 10x capacity)', '', '| figure | measured | target |', '|---|---|---|',
    ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`), ''].join('\n');
}
