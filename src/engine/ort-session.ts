/**
 * ONNX Runtime set-up in one place: session options, session creation with the CUDA -> CPU fallback, and
 * tensor conversion between the project's little-endian byte tensors and `ort.Tensor`. The engine worker,
 * the engine's main-thread path, the quantizer's verification and the bench's engine ceiling all use it, so
 * "same options" is true by construction.
 */
import ort from 'onnxruntime-node';

// The same for ORT's process-wide logger (session creation, providers).
ort.env.logLevel = 'fatal';
import type { DType, HostTensor } from '../tensor/tensor.js';

/** Session settings chosen by the service config. */
export interface OrtSessionSettings {
  readonly provider: 'cpu' | 'cuda';
  readonly intraOpThreads: number;
  /** At least 'extended' so INT8 MatMulInteger chains fuse (DESIGN). */
  readonly graphOptimizationLevel: 'extended' | 'all';
  /**
   * ONNX Runtime graph optimizers (by name, e.g. `SkipLayerNormFusion`) left out for this session
   * (`optimization.disable_specified_optimizers`): chosen per variant from a measurement at load (fused-variant.ts).
   */
  readonly disabledOptimizers?: readonly string[] | undefined;
}

/** The session options every hub-inference session is created with. */
export function sessionOptions(s: Omit<OrtSessionSettings, 'provider'>): ort.InferenceSession.SessionOptions {
  // logSeverityLevel 4 (fatal only): ORT would otherwise print coloured, non-JSON lines into the service's
  // JSON log stream. What it has to say about a failure reaches us as the rejected promise, which we log.
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: s.graphOptimizationLevel, intraOpNumThreads: s.intraOpThreads, interOpNumThreads: 1, executionMode: 'sequential', logSeverityLevel: 4 };
  return s.disabledOptimizers?.length ? { ...base, extra: { optimization: { disable_specified_optimizers: s.disabledOptimizers.join(',') } } } : base;
}

/** A created session and the provider really in use. */
export interface CreatedSession {
  readonly session: ort.InferenceSession;
  readonly provider: 'cpu' | 'cuda';
  /** Why CUDA was not used although asked for. */
  readonly fallbackReason?: string;
}

/**
 * Creates a session. Creating one with the CUDA provider REJECTS when the CUDA libraries are missing (no
 * silent fallback, DESIGN): it is retried on CPU and the reason returned for one clear log line.
 */
export async function createSession(model: string | Uint8Array, s: OrtSessionSettings): Promise<CreatedSession> {
  const base = sessionOptions(s);
  const create = (providers: string[]): Promise<ort.InferenceSession> => (typeof model === 'string'
    ? ort.InferenceSession.create(model, { ...base, executionProviders: providers })
    : ort.InferenceSession.create(model, { ...base, executionProviders: providers }));
  if (s.provider === 'cuda') {
    try {
      return { session: await create(['cuda', 'cpu']), provider: 'cuda' };
    } catch (e) {
      return { session: await create(['cpu']), provider: 'cpu', fallbackReason: (e as Error).message.split('\n')[0] ?? 'unknown' };
    }
  }
  return { session: await create(['cpu']), provider: 'cpu' };
}

/** An `ort.Tensor` over these bytes (no copy when the bytes are aligned for the element type). */
export function toOrtTensor(dtype: string, shape: readonly number[], buffer: ArrayBufferLike, byteOffset: number, byteLength: number): ort.Tensor {
  const size = dtype === 'int64' ? 8 : dtype === 'float32' || dtype === 'int32' ? 4 : dtype === 'float16' ? 2 : 1;
  if (byteOffset % size !== 0) {
    const copy = new Uint8Array(byteLength);
    copy.set(new Uint8Array(buffer, byteOffset, byteLength));
    return toOrtTensor(dtype, shape, copy.buffer, 0, byteLength);
  }
  const dims = [...shape];
  switch (dtype) {
    case 'float32': return new ort.Tensor('float32', new Float32Array(buffer, byteOffset, byteLength / 4), dims);
    case 'int64': return new ort.Tensor('int64', new BigInt64Array(buffer, byteOffset, byteLength / 8), dims);
    case 'int32': return new ort.Tensor('int32', new Int32Array(buffer, byteOffset, byteLength / 4), dims);
    case 'float16': return new ort.Tensor('float16', new Uint16Array(buffer, byteOffset, byteLength / 2), dims);
    case 'uint8': return new ort.Tensor('uint8', new Uint8Array(buffer, byteOffset, byteLength), dims);
    case 'bool': return new ort.Tensor('bool', new Uint8Array(buffer, byteOffset, byteLength), dims);
    default: throw new Error(`unsupported dtype ${dtype}`);
  }
}

/** Feeds for a session from host tensors. */
export function toFeeds(inputs: Readonly<Record<string, HostTensor>>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = toOrtTensor(t.dtype, t.shape, t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return feeds;
}

/** A host tensor over an ORT output's bytes (a view: ORT hands JS its own copy of every output). */
export function fromOrtTensor(t: ort.Tensor): HostTensor {
  const data = t.data as unknown as ArrayBufferView;
  return { dtype: t.type as DType, shape: t.dims.map(Number), data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Input/output metadata of a session, as the engine reports it. */
export function sessionSignature(session: ort.InferenceSession): { inputs: { name: string; type: string; shape: (number | string)[] }[]; outputs: { name: string; type: string; shape: (number | string)[] }[] } {
  const meta = (list: readonly ort.InferenceSession.ValueMetadata[]): { name: string; type: string; shape: (number | string)[] }[] =>
    list.map((m) => (m.isTensor ? { name: m.name, type: String(m.type), shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] }));
  return { inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) };
}
