/**
 * Drives one workload with the chosen tool: ghz with the committed config (when ghz is installed), else
 * h2load with the same request pre-encoded. A workload with several parts (the mixed scenario) runs one
 * h2load per part at once, callers split by share, and merges their per-request logs.
 */
import path from 'node:path';
import { encodeRequest, grpcFrame, methodPath } from '../load/grpc-codec.js';
import { h2loadResult, runH2loadRaw } from '../load/h2load-runner.js';
import { runGhz } from '../load/ghz-runner.js';
import type { LoadResult } from '../load/load-result.js';
import type { BenchContext } from './bench-context.js';

/** A request and the callers that send it. */
export interface WorkloadPart {
  readonly request: Record<string, unknown>;
  readonly concurrency: number;
}

/** A fixed-request workload. */
export interface Workload {
  /** bench/ghz/<file> used when the tool is ghz. */
  readonly ghzConfig: string;
  readonly method: 'Predict' | 'ListModels';
  readonly parts: readonly WorkloadPart[];
  readonly durationSeconds: number;
}

/** Total callers of a workload. */
export function workloadConcurrency(w: Workload): number {
  return w.parts.reduce((a, p) => a + p.concurrency, 0);
}

/** Runs the workload once against `address`. */
export async function driveLoad(ctx: BenchContext, address: string, w: Workload, durationSeconds = w.durationSeconds): Promise<LoadResult> {
  const concurrency = workloadConcurrency(w);
  if (ctx.tool === 'ghz') {
    return runGhz({ config: path.join('bench', 'ghz', w.ghzConfig), cwd: ctx.root, address, concurrency, connections: Math.min(4, concurrency), durationSeconds });
  }
  const raws = await Promise.all(w.parts.map((p) => runH2loadRaw({
    address, path: methodPath(w.method), body: grpcFrame(encodeRequest(w.method, p.request)), concurrency: p.concurrency, durationSeconds,
  })));
  return h2loadResult(raws, concurrency);
}

/** A short unmeasured run so sessions, JIT and connections are warm before the measured window. */
export async function warmUp(ctx: BenchContext, address: string, w: Workload): Promise<void> {
  if (ctx.settings.warmupSeconds <= 0) return;
  try {
    await driveLoad(ctx, address, w, ctx.settings.warmupSeconds);
  } catch (e) {
    // A warm-up is not a measurement: say what happened and let the measured run decide.
    ctx.progress(`warm-up run failed (continuing): ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
}
