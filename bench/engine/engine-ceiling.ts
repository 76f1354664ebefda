/**
 * The engine ceiling: rows/s that onnxruntime-node alone reaches in this process family at a given batch
 * size, with one session per worker thread and 1 intra-op thread (the service's engine settings). It is
 * the upper bound for the service's predictions/s on the same cores; the report shows the service's
 * figure as a fraction of it.
 */
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import type { CeilingWorkerData, CeilingWorkerResult } from './engine-ceiling-worker.js';
import { latestVariantFile } from '../../src/repository/model-layout.js';

/** One measured point. */
export interface EnginePoint {
  readonly model: string;
  readonly variant: 'fp32' | 'int8';
  readonly batch: number;
  readonly workers: number;
  readonly rowsPerSecond: number;
  /** Mean time of one session.run at this batch. */
  readonly runMs: number;
}

/** The latest version's model file for a variant, or undefined (the repository's own layout rules). */
export function modelFile(repository: string, model: string, variant: 'fp32' | 'int8'): string | undefined {
  return latestVariantFile(path.join(repository, model), variant);
}

function workerUrl(): { url: URL; execArgv: string[] } {
  const self = fileURLToPath(import.meta.url);
  const ext = path.extname(self);
  // From dist/ the worker is plain .js; from sources (tsx/vitest) it is .ts and needs tsx's loader.
  return { url: new URL(`./engine-ceiling-worker${ext}`, import.meta.url), execArgv: ext === '.ts' ? ['--import', 'tsx'] : [] };
}

function runWorker(data: CeilingWorkerData): Promise<CeilingWorkerResult> {
  const { url, execArgv } = workerUrl();
  return new Promise((resolve, reject) => {
    const w = new Worker(url, { workerData: data, execArgv });
    w.once('message', (m: CeilingWorkerResult) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0 && code !== 1) reject(new Error(`engine worker exited ${code}`)); });
  });
}

/** Measures rows/s at `batch` with `workers` threads each running its own session. */
export async function measureEngine(cfg: ModelConfig, modelPath: string, variant: 'fp32' | 'int8', batch: number, workers: number, seconds: number): Promise<EnginePoint> {
  const tensors = sampleInputs(cfg, batch, 7);
  const inputs = cfg.inputs.map((spec) => {
    const t = tensors[spec.name];
    if (!t || (t.dtype !== 'float32' && t.dtype !== 'int64')) throw new Error(`engine ceiling supports float32/int64 inputs only (${spec.name})`);
    return { name: spec.name, dtype: t.dtype, shape: [...t.shape], bytes: t.data };
  });
  const results = await Promise.all(Array.from({ length: workers }, () => runWorker({ modelPath, seconds, inputs })));
  const rowsPerSecond = results.reduce((a, r) => a + (r.runs * batch) / r.seconds, 0);
  const runMs = results.reduce((a, r) => a + (r.seconds * 1000) / Math.max(1, r.runs), 0) / results.length;
  return { model: cfg.name, variant, batch, workers, rowsPerSecond, runMs };
}
