/**
 * Compares an INT8 candidate with its FP32 model in ONNX Runtime: accuracy on a validation set (max abs
 * error, relative L2, cosine, top-1 agreement for classifier-like outputs) and speed at batch 1 and 32.
 */
import ort from 'onnxruntime-node';
import type { SingleBar } from 'cli-progress';
import type { HostTensor } from '../src/tensor/tensor.js';

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

/** Session options both variants are measured with: what the server uses. */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'extended', intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'] };

/** Loads a model (bytes or path) in ORT; throws with ORT's message when it cannot. */
export function loadSession(model: Uint8Array | string): Promise<ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, SESSION_OPTIONS) : ort.InferenceSession.create(model, SESSION_OPTIONS);
}

/** ORT tensors from host tensors. */
export function toFeeds(inputs: Readonly<Record<string, HostTensor>>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [n, t] of Object.entries(inputs)) {
    const buf = new Uint8Array(t.data).buffer;
    const shape = [...t.shape];
    switch (t.dtype) {
      case 'float32': feeds[n] = new ort.Tensor('float32', new Float32Array(buf), shape); break;
      case 'int64': feeds[n] = new ort.Tensor('int64', new BigInt64Array(buf), shape); break;
      case 'int32': feeds[n] = new ort.Tensor('int32', new Int32Array(buf), shape); break;
      case 'uint8': feeds[n] = new ort.Tensor('uint8', new Uint8Array(buf), shape); break;
      case 'bool': feeds[n] = new ort.Tensor('bool', new Uint8Array(buf), shape); break;
      case 'float16': feeds[n] = new ort.Tensor('float16', new Uint16Array(buf), shape); break;
    }
  }
  return feeds;
}

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

/** Mean time of `s.run` at a batch size (after one warm-up run). */
export async function timeRuns(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>, minMs = 300, maxRuns = 50): Promise<number> {
  await s.run(feeds);
  let runs = 0;
  const start = performance.now();
  while (runs < maxRuns && (runs < 3 || performance.now() - start < minMs)) {
    await s.run(feeds);
    runs++;
  }
  return (performance.now() - start) / runs;
}

/** Speed at batch 1 and 32. */
export async function measureSpeed(s: ort.InferenceSession, batch1: Record<string, ort.Tensor>, batch32: Record<string, ort.Tensor>, bar?: SingleBar): Promise<SpeedFigures> {
  const b1 = await timeRuns(s, batch1);
  bar?.increment();
  const b32 = await timeRuns(s, batch32);
  bar?.increment();
  return { batch1Ms: b1, batch32Ms: b32, batch1RowsPerSec: 1000 / b1, batch32RowsPerSec: 32_000 / b32 };
}
