/**
 * Compares an INT8 candidate with its FP32 model in ONNX Runtime: accuracy on a validation set (max abs
 * error, relative L2, cosine, top-1 agreement for classifier-like outputs) and speed at batch 1 and 32.
 */
import type ort from 'onnxruntime-node';
import type { SingleBar } from 'cli-progress';
import { createSession, toFeeds } from '../src/engine/ort-session.js';
import { sliceRows, type HostTensor } from '../src/tensor/tensor.js';
import { QuantizeError } from './dynamic-quantizer.js';

/** Accuracy of one output. */
export interface OutputAccuracy {
  readonly maxAbsError: number;
  readonly relativeL2: number;
  readonly cosine: number;
  /** Row-wise argmax agreement over the last dim, when it is > 1. */
  readonly top1Agreement: number | undefined;
}

/** Speed of one variant. */
export interface SpeedFigures {
  readonly batch1Ms: number;
  readonly batch32Ms: number;
  readonly batch1RowsPerSec: number;
  readonly batch32RowsPerSec: number;
}

/** Loads a model (bytes or path) in ORT with the server's own session set-up (src/engine/ort-session.ts). */
export async function loadSession(model: Uint8Array | string): Promise<ort.InferenceSession> {
  return (await createSession(model, SERVER_SETTINGS)).session;
}

/** The engine workers' settings: one intra-op thread, EXTENDED (so INT8 chains fuse), CPU. */
export const SERVER_SETTINGS = Object.freeze({ provider: 'cpu' as const, intraOpThreads: 1, graphOptimizationLevel: 'extended' as const });

/** Runs a session and returns float32 outputs with their dims. */
export async function runFloat(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const res = await s.run(feeds);
  const out: Record<string, { data: Float32Array; dims: number[] }> = {};
  for (const [n, t] of Object.entries(res)) out[n] = { data: Float32Array.from(t.data as Float32Array), dims: t.dims.map(Number) };
  return out;
}

/** Compares two float vectors of one output. */
export function compareOutputs(ref: Float32Array, got: Float32Array, dims: readonly number[]): OutputAccuracy {
  let maxAbs = 0;
  let dot = 0;
  let nr = 0;
  let ng = 0;
  let d2 = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = ref[i] as number;
    const b = got[i] as number;
    maxAbs = Math.max(maxAbs, Math.abs(a - b));
    dot += a * b; nr += a * a; ng += b * b; d2 += (a - b) ** 2;
  }
  const width = dims.at(-1) ?? 1;
  let top1: number | undefined;
  if (width > 1 && ref.length % width === 0) {
    const rows = ref.length / width;
    let agree = 0;
    for (let r = 0; r < rows; r++) {
      let ia = 0;
      let ib = 0;
      for (let j = 1; j < width; j++) {
        if ((ref[r * width + j] as number) > (ref[r * width + ia] as number)) ia = j;
        if ((got[r * width + j] as number) > (got[r * width + ib] as number)) ib = j;
      }
      if (ia === ib) agree++;
    }
    top1 = agree / rows;
  }
  const cosine = nr === 0 && ng === 0 ? 1 : dot / Math.sqrt(nr * ng);
  return { maxAbsError: maxAbs, relativeL2: nr === 0 ? Math.sqrt(d2) : Math.sqrt(d2 / nr), cosine, top1Agreement: top1 };
}

/**
 * Median of each session's run time (ms) on the same feeds, the sessions taking turns round after round (a
 * single timing on a shared machine swings 0.4x-1.5x); also used by bench/quantize/row-isolation.ts.
 */
export async function interleavedMedians(sessions: readonly ort.InferenceSession[], feeds: Record<string, ort.Tensor>, rounds = 15): Promise<number[]> {
  for (const s of sessions) await s.run(feeds);
  const t = sessions.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of sessions.entries()) {
      const start = performance.now();
      await s.run(feeds);
      (t[i] as number[]).push(performance.now() - start);
    }
  }
  return t.map((v) => v.sort((x, y) => x - y)[Math.floor(v.length / 2)] as number);
}

/** Accuracy of an INT8 candidate against its FP32 model, and the speed of both. */
export interface Verification {
  readonly accuracy: Record<string, OutputAccuracy>;
  readonly fp32: SpeedFigures;
  readonly int8: SpeedFigures;
}

/**
 * Loads both models, compares them on the validation rows (64 at a time) and times them at batch 1 and 32
 * (medians of interleaved runs). Sessions are released whatever happens; a candidate that does not load or
 * run is a QuantizeError (nothing is written by the caller then).
 */
export async function verifyCandidate(fp32: Uint8Array, int8: Uint8Array, validation: Readonly<Record<string, HostTensor>>, timing: { b1: Readonly<Record<string, HostTensor>>; b32: Readonly<Record<string, HostTensor>> }, bar?: SingleBar): Promise<Verification> {
  let s8: ort.InferenceSession | undefined;
  let s32: ort.InferenceSession | undefined;
  try {
    try {
      s8 = await loadSession(int8);
    } catch (e) {
      throw new QuantizeError(`the quantized model does not load in ONNX Runtime (${(e as Error).message}); nothing was written`);
    }
    s32 = await loadSession(fp32);
    const rows = (Object.values(validation)[0] as HostTensor).shape[0] as number;
    const refs: Record<string, { data: Float32Array[]; dims: number[] }> = {};
    const gots: Record<string, Float32Array[]> = {};
    for (let start = 0; start < rows; start += 64) {
      const n = Math.min(64, rows - start);
      const feeds = toFeeds(Object.fromEntries(Object.entries(validation).map(([k, t]) => [k, sliceRows(t, start, n)])));
      let a, b;
      try {
        a = await runFloat(s32, feeds);
        b = await runFloat(s8, feeds);
      } catch (e) {
        throw new QuantizeError(`the quantized model fails to run in ONNX Runtime (${(e as Error).message}); nothing was written`);
      }
      for (const [name, r] of Object.entries(a)) {
        (refs[name] ??= { data: [], dims: r.dims }).data.push(r.data);
        (gots[name] ??= []).push(b[name]?.data ?? new Float32Array(r.data.length).fill(Number.NaN));
      }
      bar?.increment();
    }
    const cat = (parts: Float32Array[]): Float32Array => { const out = new Float32Array(parts.reduce((x, p) => x + p.length, 0)); let off = 0; for (const p of parts) { out.set(p, off); off += p.length; } return out; };
    const accuracy: Record<string, OutputAccuracy> = {};
    for (const [name, r] of Object.entries(refs)) accuracy[name] = compareOutputs(cat(r.data), cat(gots[name] ?? []), r.dims);
    const [f1, i1] = await interleavedMedians([s32, s8], toFeeds(timing.b1)) as [number, number];
    bar?.increment();
    const [f32, i32] = await interleavedMedians([s32, s8], toFeeds(timing.b32)) as [number, number];
    bar?.increment();
    const figures = (b1: number, b32: number): SpeedFigures => ({ batch1Ms: b1, batch32Ms: b32, batch1RowsPerSec: 1000 / b1, batch32RowsPerSec: 32_000 / b32 });
    return { accuracy, fp32: figures(f1, f32), int8: figures(i1, i32) };
  } finally {
    await s8?.release();
    await s32?.release();
  }
}
