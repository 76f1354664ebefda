/** In-process ONNX Runtime reference runs and tensor helpers for comparing server answers. */
import ort from 'onnxruntime-node';
import type { HostTensor, NamedTensors } from '../../src/tensor/tensor.js';

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(file: string): Promise<ort.InferenceSession> {
  let s = sessions.get(file);
  if (!s) {
    s = ort.InferenceSession.create(file, { graphOptimizationLevel: 'extended', intraOpNumThreads: 1, executionProviders: ['cpu'] });
    sessions.set(file, s);
  }
  return s;
}

function toOrt(t: HostTensor): ort.Tensor {
  const buf = new Uint8Array(t.data).buffer;
  switch (t.dtype) {
    case 'float32': return new ort.Tensor('float32', new Float32Array(buf), [...t.shape]);
    case 'int64': return new ort.Tensor('int64', new BigInt64Array(buf), [...t.shape]);
    default: throw new Error(`reference: dtype ${t.dtype} not needed by bundled models`);
  }
}

/** Runs a model file in this process (ORT on the test's thread) and returns float32 outputs. */
export async function referenceRun(file: string, inputs: NamedTensors): Promise<Record<string, Float32Array>> {
  const s = await session(file);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [n, t] of Object.entries(inputs)) feeds[n] = toOrt(t);
  const out = await s.run(feeds);
  const res: Record<string, Float32Array> = {};
  for (const [n, t] of Object.entries(out)) res[n] = Float32Array.from(t.data as Float32Array);
  return res;
}

/** Wire form of a HostTensor for a raw request (proto-loader object). */
export function wireTensor(name: string, t: HostTensor): Record<string, unknown> {
  const dt = { float32: 'DATA_TYPE_FLOAT32', float16: 'DATA_TYPE_FLOAT16', int64: 'DATA_TYPE_INT64', int32: 'DATA_TYPE_INT32', uint8: 'DATA_TYPE_UINT8', bool: 'DATA_TYPE_BOOL' }[t.dtype];
  return { name, dtype: dt, shape: [...t.shape], raw: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
}

/** Wire inputs of a request. */
export function wireInputs(inputs: NamedTensors): Record<string, unknown>[] {
  return Object.entries(inputs).map(([n, t]) => wireTensor(n, t));
}

/** float32 values of a response tensor (raw bytes). */
export function responseFloats(t: { raw: Buffer }): Float32Array {
  return new Float32Array(new Uint8Array(t.raw).buffer);
}

/** Largest absolute difference relative to max(1, |expected|). */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1, Math.abs(b[i] as number)));
  return m;
}
