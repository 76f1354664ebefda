/**
 * The Open Inference Protocol beside hub.inference.v1 on the same server and the same rows: lead-scoring, one row
 * per call, cache bypassed, 64 callers (the transport-lead-scoring workload), through Predict and through OIP
 * ModelInfer with raw_input_contents. lead-scoring is a ~15 us model, so the per-call protocol work is most of a
 * call: the OIP path's extra cost (maps of parameters, datatype strings) shows here if anywhere. Points alternate
 * Predict / ModelInfer so drift on a shared machine hits both alike; the verdict compares medians.
 */
import path from 'node:path';
import { runGhz } from '../load/ghz-runner.js';
import { h2loadResult, runH2loadRaw } from '../load/h2load-runner.js';
import { grpcFrame } from '../load/grpc-codec.js';
import { encodeOipRequest, oipMethodPath } from '../load/oip-codec.js';
import type { LoadResult } from '../load/load-result.js';
import { firstRequest } from './ghz-config-files.js';
import { driveLoad, warmUp, type Workload } from './drive-load.js';
import { measure, type Measurement } from './measurement.js';
import { withServer } from './with-server.js';
import { formatPoint } from './format-point.js';
import type { BenchContext } from './bench-context.js';

/** The committed configs compared: the same rows, one through each protocol. */
export const OIP_CONFIGS = Object.freeze({ predict: 'transport-lead-scoring.json', oip: 'oip-lead-scoring.json' });
/** Labels of the two kinds of point in results and report. */
export const OIP_POINT = Object.freeze({ predict: 'hub.inference.v1 Predict', oip: 'OIP ModelInfer' });
/** The bound: the OIP path costs at most 5% of lead-scoring calls/s. */
export const OIP_MIN_RATIO = 0.95;

const CALLERS = 64;

/** Drives OIP ModelInfer: ghz with the committed config (ghz reads the service through reflection), else h2load. */
async function driveOip(ctx: BenchContext, address: string, request: Record<string, unknown>, durationSeconds: number): Promise<LoadResult> {
  if (ctx.tool === 'ghz') {
    return runGhz({ config: path.join('bench', 'ghz', OIP_CONFIGS.oip), cwd: ctx.root, address, concurrency: CALLERS, connections: Math.min(4, CALLERS), durationSeconds });
  }
  const raw = await runH2loadRaw({ address, path: oipMethodPath('ModelInfer'), body: grpcFrame(encodeOipRequest('ModelInfer', request)), concurrency: CALLERS, durationSeconds });
  return h2loadResult([raw], CALLERS);
}

/** Runs the comparison: alternating points, `rounds` of each (smoke 1, quick 2, full 3). */
export async function runOipScenario(ctx: BenchContext): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const rounds = ctx.mode === 'full' ? 3 : ctx.mode === 'quick' ? 2 : 1;
  const predict: Workload = { ghzConfig: OIP_CONFIGS.predict, method: 'Predict', parts: [{ request: firstRequest(ctx.root, OIP_CONFIGS.predict), concurrency: CALLERS }], durationSeconds: ctx.settings.pointSeconds };
  const oipRequest = firstRequest(ctx.root, OIP_CONFIGS.oip);
  await withServer(ctx, 'batching=adaptive', { batching: 'adaptive' }, async (server) => {
    await warmUp(ctx, server.grpcAddress, predict);
    if (ctx.settings.warmupSeconds > 0) await driveOip(ctx, server.grpcAddress, oipRequest, ctx.settings.warmupSeconds);
    const spec = (config: string) => ({ scenario: 'oip', config, model: 'lead-scoring', variant: 'auto', rowsPerRequest: 1, concurrency: CALLERS });
    for (let r = 0; r < rounds; r++) {
      for (const kind of ['predict', 'oip'] as const) {
        const m = await measure(server, spec(OIP_POINT[kind]), () => (kind === 'predict'
          ? driveLoad(ctx, server.grpcAddress, predict)
          : driveOip(ctx, server.grpcAddress, oipRequest, ctx.settings.pointSeconds)));
        ctx.progress(formatPoint(m));
        out.push(m);
      }
    }
  });
  return out;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median calls/s of each protocol and OIP's share of Predict's, when both were measured. */
export function oipRatio(ms: readonly Measurement[]): { predict: number; oip: number; ratio: number } | undefined {
  const of = (config: string): number[] => ms.filter((m) => m.scenario === 'oip' && m.config === config).map((m) => m.okPerSecond);
  const p = of(OIP_POINT.predict);
  const o = of(OIP_POINT.oip);
  if (!p.length || !o.length) return undefined;
  const predict = median(p);
  const oip = median(o);
  return { predict, oip, ratio: predict > 0 ? oip / predict : 0 };
}

/** The section of the Markdown report. */
export function oipMarkdown(ms: readonly Measurement[]): string {
  const points = ms.filter((m) => m.scenario === 'oip');
  const r = oipRatio(ms);
  if (!points.length || !r) return '';
  const f = (v: number | undefined, d = 0): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
  const rows = points.map((m) => `| ${m.config} | ${m.concurrency} | ${f(m.okPerSecond)} | ${f(m.load.latency.p50Ms, 2)} | ${f(m.load.latency.p95Ms, 2)} | ${f(m.serverCores, 2)} | ${f(m.predictionsPerCoreSecond)} | ${m.errors} |`);
  return ['## Open Inference Protocol beside hub.inference.v1 (lead-scoring, 1 row per call, cache bypassed)', '',
    'The same rows through Predict (bench/ghz/transport-lead-scoring.json) and through OIP ModelInfer with raw_input_contents (bench/ghz/oip-lead-scoring.json), on one server, points alternating.', '',
    '| protocol | callers | calls/s | p50 ms | p95 ms | server cores | pred/core-s | errors |', '|---|---|---|---|---|---|---|---|', ...rows, '',
    `Median calls/s: Predict ${f(r.predict)}, ModelInfer ${f(r.oip)}: OIP = **${(r.ratio * 100).toFixed(1)}%** of Predict (bound: at least ${(OIP_MIN_RATIO * 100).toFixed(0)}%${r.ratio >= OIP_MIN_RATIO ? ', met' : ', **not met**'}).`, ''].join('\n');
}
