/**
 * FP32 vs INT8 on the heaviest bundled model at 1 and 32 rows per request. Batching is off, so each
 * engine run is exactly one request's rows (batch 1 really is batch 1); two callers per engine worker
 * keep every worker busy without measuring queueing.
 */
import { VARIANT_MODEL } from '../workload/ghz-configs.js';
import { modelFile } from '../engine/engine-ceiling.js';
import { firstRequest } from './ghz-config-files.js';
import { driveLoad, warmUp, type Workload } from './drive-load.js';
import { measure, type Measurement } from './measurement.js';
import { withServer } from './with-server.js';
import { formatPoint } from './format-point.js';
import type { BenchContext } from './bench-context.js';

/** Runs the FP32/INT8 comparison. */
export async function runVariantScenario(ctx: BenchContext): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const concurrency = ctx.workers * 2;
  const variants = modelFile(ctx.modelRepository, VARIANT_MODEL, 'int8') ? ['fp32', 'int8'] : ['fp32'];
  if (variants.length === 1) ctx.progress(`variant: ${VARIANT_MODEL} has no INT8 model file (run \`npm run models\`); FP32 only`);
  await withServer(ctx, 'batching=off', { batching: 'off' }, async (server) => {
    for (const rows of [1, 32]) {
      for (const variant of variants) {
        const file = `variant-${variant}-${rows}rows.json`;
        const w: Workload = { ghzConfig: file, method: 'Predict', parts: [{ request: firstRequest(ctx.root, file), concurrency }], durationSeconds: ctx.settings.pointSeconds };
        await warmUp(ctx, server.grpcAddress, w);
        const m = await measure(server, { scenario: 'variant', config: 'batching=off', model: VARIANT_MODEL, variant, rowsPerRequest: rows, concurrency }, () => driveLoad(ctx, server.grpcAddress, w));
        ctx.progress(formatPoint(m));
        out.push(m);
      }
    }
  });
  return out;
}
