/**
 * hub-inference beside the plain server a Node user writes in ten minutes (bench/naive/naive-server.ts),
 * in the same run, on the same requests: every bundled model, one FP32 row per call, cache bypassed, at 1
 * and 128 callers; plus hub's AUTO variant on lead-intent at 128 callers. The naive server has no metrics,
 * so its errors are only what the load tool sees (h2load does not read grpc-status).
 */
import path from 'node:path';
import { BENCH_MODELS } from '../workload/bench-models.js';
import { firstRequest } from './ghz-config-files.js';
import { driveLoad, warmUp, type Workload } from './drive-load.js';
import { measure, type Measurement } from './measurement.js';
import { withServer } from './with-server.js';
import { formatPoint } from './format-point.js';
import type { BenchContext } from './bench-context.js';

/** Callers compared: an idle server and a loaded one. */
export const NAIVE_CALLERS = [1, 128] as const;

/** Runs the comparison. */
export async function runNaiveScenario(ctx: BenchContext): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const naive = { script: path.join(ctx.root, 'dist', 'bench', 'naive', 'naive-server.js'), args: [ctx.modelRepository] };
  const servers = [
    { config: 'naive', label: 'naive reference server', opts: { entry: naive } },
    { config: 'hub', label: 'hub, adaptive', opts: { batching: 'adaptive' as const } },
  ];
  for (const s of servers) {
    await withServer(ctx, s.label, s.opts, async (server) => {
      for (const model of BENCH_MODELS) {
        const file = `compare-${model}-fp32.json`;
        const fp32 = firstRequest(ctx.root, file);
        const points: { variant: string; request: Record<string, unknown>; callers: number }[] = NAIVE_CALLERS.map((c) => ({ variant: 'fp32', request: fp32, callers: c }));
        if (s.config === 'hub' && model === 'lead-intent') {
          const { variant: _pinned, ...auto } = fp32;
          void _pinned;
          points.push({ variant: 'auto', request: auto, callers: 128 });
        }
        for (const p of points) {
          const w: Workload = { ghzConfig: file, method: 'Predict', parts: [{ request: p.request, concurrency: p.callers }], durationSeconds: ctx.settings.pointSeconds };
          await warmUp(ctx, server.grpcAddress, w);
          const m = await measure(server, { scenario: 'naive', config: s.config, model, variant: p.variant, rowsPerRequest: 1, concurrency: p.callers }, () => driveLoad(ctx, server.grpcAddress, w));
          ctx.progress(formatPoint(m));
          out.push(m);
        }
      }
    });
  }
  return out;
}

/** The comparison table of the Markdown report. */
export function naiveMarkdown(ms: readonly Measurement[]): string {
  const rows = ms.filter((m) => m.scenario === 'naive' && m.config === 'hub').map((h) => {
    const n = ms.find((x) => x.scenario === 'naive' && x.config === 'naive' && x.model === h.model && x.concurrency === h.concurrency);
    const cell = (m: Measurement | undefined): string => (m ? `${m.okPerSecond.toFixed(0)} (${m.load.latency.p50Ms.toFixed(1)} / ${m.load.latency.p95Ms.toFixed(1)})` : '-');
    const ratio = n && n.okPerSecond > 0 ? `${(h.okPerSecond / n.okPerSecond).toFixed(2)}x` : '-';
    return `| ${h.model} | ${h.variant.toUpperCase()} | ${h.concurrency} | ${cell(n)} | ${cell(h)} | ${ratio} |`;
  });
  if (rows.length === 0) return '';
  return ['## hub beside the plain server (1 row per call, cache bypassed)', '',
    'The naive server (bench/naive/naive-server.ts): grpc-js + onnxruntime-node, one FP32 session per model on the main thread with default threads, one run per call. Ratios compare hub with the naive FP32 server at the same callers; the AUTO row is hub serving its chosen variant.', '',
    '| model | hub variant | callers | naive calls/s (p50 / p95 ms) | hub calls/s (p50 / p95 ms) | hub / naive |', '|---|---|---|---|---|---|', ...rows, ''].join('\n');
}
