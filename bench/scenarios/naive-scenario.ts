/**
 * hub-inference beside the plain server a Node user writes in ten minutes (bench/naive/naive-server.ts), on the
 * same requests: every bundled model, one FP32 row per call, cache bypassed, at 1 and 128 callers; plus hub's
 * AUTO variant on lead-intent at 128 callers.
 *
 * Both servers run at once and take turns, point by point, in alternating order (naive then hub, then hub then
 * naive, ...): on this shared machine the speed of the same server drifts by 20-30% within a minute, so two
 * blocks measured one after the other compared the minutes more than the servers. Each point is measured
 * `rounds` times per server and the report gives the mean, the ratio of the means, and each round's own ratio.
 * The naive server has no metrics, so its errors are only what the load tool sees (h2load does not read
 * grpc-status); its CPU comes from /proc like hub's.
 *
 * A third server takes its turns at the FP32 points: the naive server in `--canned` mode, answering every call
 * after a model's first with that first answer, without inference: what the transport (grpc-js, HTTP/2, the
 * kernel and the load tool on this machine) costs a plain Node server. Where it is barely faster than the naive
 * server (a tiny model at one caller), inference is a small part of a call. It bounds what a plain server can
 * reach, not hub: hub keeps a core awake after a lone call (a plain server's idle core sleeps between calls) and
 * serves with a larger young generation (src/v8-tuning.ts), and both can put it above this line.
 */
import path from 'node:path';
import { BENCH_MODELS } from '../workload/bench-models.js';
import { firstRequest } from './ghz-config-files.js';
import { driveLoad, warmUp, type Workload } from './drive-load.js';
import { meanOfRepeats, measure, type Measurement } from './measurement.js';
import { withServer } from './with-server.js';
import { formatPoint } from './format-point.js';
import type { BenchContext } from './bench-context.js';
import type { ServerHandle } from '../harness/server-process.js';

/** Callers compared: an idle server and a loaded one. */
export const NAIVE_CALLERS = [1, 128] as const;
/** Turns each server takes at every point. */
const ROUNDS = { smoke: 1, quick: 2, full: 3 } as const;

/** The servers compared: the plain one, hub, and the plain one answering without inference (the no-inference line: what the transport costs a plain server). */
type Config = 'naive' | 'hub' | 'canned';

interface Point { readonly model: string; readonly variant: string; readonly request: Record<string, unknown>; readonly callers: number; readonly file: string }

/** Runs the comparison. */
export async function runNaiveScenario(ctx: BenchContext): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const script = path.join(ctx.root, 'dist', 'bench', 'naive', 'naive-server.js');
  const naiveEntry = { script, args: [ctx.modelRepository] };
  const cannedEntry = { script, args: [ctx.modelRepository, '--canned'] };
  const rounds = ROUNDS[ctx.mode];
  await withServer(ctx, 'naive reference server', { entry: naiveEntry }, (naive) => withServer(ctx, 'naive server, canned answers (transport only)', { entry: cannedEntry }, (canned) => withServer(ctx, 'hub, adaptive', { batching: 'adaptive' }, async (hub) => {
    const servers: Record<Config, ServerHandle> = { naive, hub, canned };
    const points: Point[] = [];
    for (const model of BENCH_MODELS) {
      const file = `compare-${model}-fp32.json`;
      const fp32 = firstRequest(ctx.root, file);
      for (const c of NAIVE_CALLERS) points.push({ model, variant: 'fp32', request: fp32, callers: c, file });
      if (model === 'lead-intent') {
        const { variant: _pinned, ...auto } = fp32;
        void _pinned;
        points.push({ model, variant: 'auto', request: auto, callers: 128, file });
      }
    }
    for (const p of points) {
      const w: Workload = { ghzConfig: p.file, method: 'Predict', parts: [{ request: p.request, concurrency: p.callers }], durationSeconds: ctx.settings.pointSeconds };
      // AUTO is hub's own choice: the naive server has one variant, measured at the FP32 points.
      const configs: Config[] = p.variant === 'auto' ? ['hub'] : ['naive', 'hub', 'canned'];
      for (const c of configs) await warmUp(ctx, servers[c].grpcAddress, w);
      for (let r = 0; r < rounds; r++) {
        for (const c of r % 2 === 0 ? configs : [...configs].reverse()) {
          const m = await measure(servers[c], { scenario: 'naive', config: c, model: p.model, variant: p.variant, rowsPerRequest: 1, concurrency: p.callers }, () => driveLoad(ctx, servers[c].grpcAddress, w));
          ctx.progress(formatPoint(m));
          out.push(m);
        }
      }
    }
  })));
  return out;
}

/** The comparison table of the Markdown report: means over the rounds, each round's ratio, and the no-inference line. */
export function naiveMarkdown(ms: readonly Measurement[]): string {
  const all = ms.filter((m) => m.scenario === 'naive');
  const means = meanOfRepeats(all);
  const cpuUs = (m: Measurement | undefined): string => (m?.predictionsPerCoreSecond ? (1e6 / m.predictionsPerCoreSecond).toFixed(0) : '-');
  const rows = means.filter((m) => m.config === 'hub').map((h) => {
    const key = (x: Measurement): boolean => x.model === h.model && x.concurrency === h.concurrency;
    const n = means.find((x) => x.config === 'naive' && key(x));
    const t = means.find((x) => x.config === 'canned' && key(x));
    const cell = (m: Measurement | undefined): string => (m ? `${m.okPerSecond.toFixed(0)} (${m.load.latency.p50Ms.toFixed(1)} / ${m.load.latency.p95Ms.toFixed(1)})` : '-');
    const ratio = n && n.okPerSecond > 0 ? `${(h.okPerSecond / n.okPerSecond).toFixed(2)}x` : '-';
    // Round k of hub against round k of the naive server (the same minute of the run).
    const hubRounds = all.filter((x) => x.config === 'hub' && x.variant === h.variant && key(x));
    const naiveRounds = all.filter((x) => x.config === 'naive' && key(x));
    const perRound = hubRounds.map((x, i) => {
      const y = naiveRounds[i];
      return y && y.okPerSecond > 0 ? (x.okPerSecond / y.okPerSecond).toFixed(2) : '-';
    }).join(' ');
    const ofBound = t && t.okPerSecond > 0 ? `${(h.okPerSecond / t.okPerSecond).toFixed(2)}x` : '-';
    return `| ${h.model} | ${h.variant.toUpperCase()} | ${h.concurrency} | ${cell(n)} | ${cell(h)} | ${ratio} | ${perRound || '-'} | ${cell(t)} | ${ofBound} | ${cpuUs(n)} / ${cpuUs(h)} |`;
  });
  if (rows.length === 0) return '';
  const rounds = Math.max(...means.map((m) => all.filter((x) => x.config === m.config && x.model === m.model && x.variant === m.variant && x.concurrency === m.concurrency).length));
  return ['## hub beside the plain server (1 row per call, cache bypassed)', '',
    `The naive server (bench/naive/naive-server.ts): grpc-js + onnxruntime-node, one FP32 session per model on the main thread with default threads, one run per call. The servers were up at once and took turns at every point in alternating order, ${rounds} turn(s) each; figures are means over the turns, "per turn" is each turn's hub / naive ratio. Ratios compare hub with the naive FP32 server at the same callers; the AUTO row is hub serving its chosen variant. CPU is server CPU time (all threads, /proc) per answered call. "No inference" is the naive server answering every call after a model's first with that first answer: what the transport (grpc-js, HTTP/2, the kernel and the load tool here) costs a plain Node server; "hub / no inference" is how close hub comes to it, above 1 where hub's own tuning (a core kept awake after a lone call, a larger young generation) takes it past a plain server's transport.`, '',
    '| model | hub variant | callers | naive calls/s (p50 / p95 ms) | hub calls/s (p50 / p95 ms) | hub / naive | per turn | no inference calls/s (p50 / p95 ms) | hub / no inference | CPU us/call naive / hub |', '|---|---|---|---|---|---|---|---|---|---|', ...rows, ''].join('\n');
}
