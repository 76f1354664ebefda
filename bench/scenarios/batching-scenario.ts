/**
 * Single vs batched: lead-intent, one row per call, FP32 pinned (so INT8 does not blur the comparison),
 * cache bypassed, at 1..256 concurrent callers, once per HUB_BATCHING mode. Also INT8 at the highest
 * sweep point under adaptive batching, which the cost model uses for "batching + INT8".
 */
import { modelFile } from '../engine/engine-ceiling.js';
import { firstRequest } from './ghz-config-files.js';
import { driveLoad, warmUp, type Workload } from './drive-load.js';
import { measure, type Measurement } from './measurement.js';
import { withServer } from './with-server.js';
import { formatPoint } from './format-point.js';
import type { BenchContext } from './bench-context.js';

/** Concurrency at which the cost model compares modes. */
export const COST_CONCURRENCY = 64;

/** Runs the batching sweep. */
export async function runBatchingScenario(ctx: BenchContext): Promise<Measurement[]> {
  const fp32 = firstRequest(ctx.root, 'batching-lead-intent.json');
  const int8 = firstRequest(ctx.root, 'variant-int8-1rows.json');
  const hasInt8 = modelFile(ctx.modelRepository, 'lead-intent', 'int8') !== undefined;
  if (!hasInt8) ctx.progress('batching: lead-intent has no INT8 model file; INT8 points skipped');
  const out: Measurement[] = [];
  const costC = ctx.settings.concurrencies.includes(COST_CONCURRENCY) ? COST_CONCURRENCY : Math.max(...ctx.settings.concurrencies);
  for (const mode of ctx.settings.batchingModes) {
    await withServer(ctx, `batching=${mode}`, { batching: mode }, async (server) => {
      const points = ctx.settings.concurrencies.map((c) => ({ variant: 'fp32', c, file: 'batching-lead-intent.json', request: fp32 }));
      if ((mode === 'adaptive' || mode === 'off') && hasInt8) points.push({ variant: 'int8', c: costC, file: 'variant-int8-1rows.json', request: int8 });
      for (const p of points) {
        const w: Workload = { ghzConfig: p.file, method: 'Predict', parts: [{ request: p.request, concurrency: p.c }], durationSeconds: ctx.settings.pointSeconds };
        await warmUp(ctx, server.grpcAddress, w);
        const m = await measure(server, { scenario: 'batching', config: mode, model: 'lead-intent', variant: p.variant, rowsPerRequest: 1, concurrency: p.c }, () => driveLoad(ctx, server.grpcAddress, w));
        ctx.progress(formatPoint(m));
        out.push(m);
      }
    });
  }
  return out;
}
