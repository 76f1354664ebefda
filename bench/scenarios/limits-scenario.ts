/**
 * The physical limits on this machine, measured in the same run: the transport ceiling (a trivial gRPC
 * round trip, ListModels, and the smallest model at one row) and the engine ceiling (onnxruntime-node
 * in-process, one session per worker thread, at each batch size).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { measureEngine, modelFile, type EnginePoint } from '../engine/engine-ceiling.js';
import { benchModelConfig } from '../workload/bench-models.js';
import { VARIANT_MODEL } from '../workload/ghz-configs.js';
import { loadModelConfig } from '../workload/predict-requests.js';
import { firstRequest } from './ghz-config-files.js';
import { driveLoad, warmUp, type Workload } from './drive-load.js';
import { measure, type Measurement } from './measurement.js';
import { withServer } from './with-server.js';
import { formatPoint } from './format-point.js';
import type { BenchContext } from './bench-context.js';

/** Transport ceiling measurements (through the server). */
export async function runTransportCeiling(ctx: BenchContext): Promise<Measurement[]> {
  const out: Measurement[] = [];
  const concurrency = 64;
  await withServer(ctx, 'batching=adaptive', { batching: 'adaptive' }, async (server) => {
    const cases = [
      { file: 'transport-list-models.json', method: 'ListModels' as const, model: '(ListModels)', request: {} },
      { file: 'transport-lead-scoring.json', method: 'Predict' as const, model: 'lead-scoring', request: firstRequest(ctx.root, 'transport-lead-scoring.json') },
    ];
    for (const c of cases) {
      const w: Workload = { ghzConfig: c.file, method: c.method, parts: [{ request: c.request, concurrency }], durationSeconds: ctx.settings.pointSeconds };
      await warmUp(ctx, server.grpcAddress, w);
      const m = await measure(server, { scenario: 'transport', config: 'adaptive', model: c.model, variant: c.method === 'Predict' ? 'auto' : '', rowsPerRequest: 1, concurrency }, () => driveLoad(ctx, server.grpcAddress, w));
      ctx.progress(formatPoint(m));
      out.push(m);
    }
  });
  return out;
}

/** Engine ceiling of the variant model (FP32 and INT8 when built) at each batch size. */
export async function runEngineCeiling(ctx: BenchContext): Promise<EnginePoint[]> {
  const model = VARIANT_MODEL;
  const cfg = existsSync(path.join(ctx.modelRepository, model, 'config.json')) ? loadModelConfig(ctx.modelRepository, model) : benchModelConfig(model);
  const out: EnginePoint[] = [];
  for (const variant of ['fp32', 'int8'] as const) {
    const file = modelFile(ctx.modelRepository, model, variant);
    if (!file) { ctx.progress(`engine ceiling: no ${variant} model file for ${model}; skipped`); continue; }
    for (const batch of ctx.settings.engineBatches) {
      const p = await measureEngine(cfg, file, variant, batch, ctx.workers, ctx.settings.engineSeconds);
      ctx.progress(`engine ceiling ${model} ${variant} batch=${batch} x${p.workers} threads: ${p.rowsPerSecond.toFixed(0)} rows/s (${p.runMs.toFixed(3)} ms per run)`);
      out.push(p);
    }
  }
  return out;
}
