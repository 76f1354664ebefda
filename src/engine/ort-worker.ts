/**
 * An engine worker thread: holds one ONNX Runtime session per loaded variant and runs batches.
 * `session.run()` blocks its thread for the whole inference (DESIGN: measured), so it lives here and never
 * on the gRPC thread. Tensor bytes arrive and leave as transferred ArrayBuffers (no per-element copies).
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import type { FromWorker, ToWorker, WireTensor, WorkerSessionOptions } from './worker-protocol.js';

const sessions = new Map<string, ort.InferenceSession>();
const port = parentPort;
if (!port) throw new Error('ort-worker must run in a worker thread');

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

function toOrtTensor(t: WireTensor): ort.Tensor {
  const { buffer, byteOffset, byteLength } = t;
  switch (t.dtype) {
    case 'float32': return new ort.Tensor('float32', new Float32Array(buffer, byteOffset, byteLength / 4), t.shape);
    case 'int64': return new ort.Tensor('int64', new BigInt64Array(buffer, byteOffset, byteLength / 8), t.shape);
    case 'int32': return new ort.Tensor('int32', new Int32Array(buffer, byteOffset, byteLength / 4), t.shape);
    case 'float16': return new ort.Tensor('float16', new Uint16Array(buffer, byteOffset, byteLength / 2), t.shape);
    case 'uint8': return new ort.Tensor('uint8', new Uint8Array(buffer, byteOffset, byteLength), t.shape);
    case 'bool': return new ort.Tensor('bool', new Uint8Array(buffer, byteOffset, byteLength), t.shape);
    default: throw new Error(`unsupported dtype ${t.dtype}`);
  }
}

function fromOrtTensor(name: string, t: ort.Tensor): WireTensor {
  const data = t.data as unknown as ArrayBufferView;
  // Copy once into a buffer we own: ORT's output memory is not ours to transfer.
  const own = new Uint8Array(data.byteLength);
  own.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { name, dtype: t.type === 'bool' ? 'bool' : t.type, shape: t.dims.map(Number), buffer: own.buffer, byteOffset: 0, byteLength: own.byteLength };
}

function metaOf(list: readonly ort.InferenceSession.ValueMetadata[]): { name: string; type: string; shape: (number | string)[] }[] {
  return list.map((m) => (m.isTensor ? { name: m.name, type: String(m.type), shape: [...m.shape] } : { name: m.name, type: 'non-tensor', shape: [] }));
}

async function createSession(modelPath: string, options: WorkerSessionOptions): Promise<{ session: ort.InferenceSession; provider: string; fallbackReason?: string }> {
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: options.graphOptimizationLevel,
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  };
  if (options.provider === 'cuda') {
    try {
      const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ['cuda', 'cpu'] });
      return { session, provider: 'cuda' };
    } catch (e) {
      // Creating a CUDA session rejects when the CUDA libraries are missing (no silent fallback): retry on CPU.
      const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ['cpu'] });
      return { session, provider: 'cpu', fallbackReason: (e as Error).message.split('\n')[0] ?? 'unknown' };
    }
  }
  const session = await ort.InferenceSession.create(modelPath, { ...base, executionProviders: ['cpu'] });
  return { session, provider: 'cpu' };
}

async function handle(msg: Exclude<ToWorker, { type: 'exit' }>): Promise<void> {
  switch (msg.type) {
    case 'load': {
      try {
        const { session, provider, fallbackReason } = await createSession(msg.modelPath, msg.options);
        await sessions.get(msg.key)?.release();
        sessions.set(msg.key, session);
        post({ type: 'loaded', id: msg.id, key: msg.key, provider, ...(fallbackReason ? { fallbackReason } : {}),
          inputs: metaOf(session.inputMetadata), outputs: metaOf(session.outputMetadata) });
      } catch (e) {
        post({ type: 'error', id: msg.id, kind: 'load', message: (e as Error).message });
      }
      return;
    }
    case 'unload': {
      const s = sessions.get(msg.key);
      sessions.delete(msg.key);
      await s?.release();
      post({ type: 'unloaded', id: msg.id });
      return;
    }
    case 'run': {
      const session = sessions.get(msg.key);
      if (!session) {
        post({ type: 'error', id: msg.id, kind: 'unknown-variant', message: `variant ${msg.key} is not loaded in this worker` });
        return;
      }
      try {
        const feeds: Record<string, ort.Tensor> = {};
        for (const t of msg.inputs) feeds[t.name] = toOrtTensor(t);
        const start = performance.now();
        const results = await session.run(feeds);
        const computeUs = Math.round((performance.now() - start) * 1000);
        const outputs = Object.entries(results).map(([name, t]) => fromOrtTensor(name, t));
        post({ type: 'result', id: msg.id, outputs, computeUs }, outputs.map((o) => o.buffer));
      } catch (e) {
        post({ type: 'error', id: msg.id, kind: 'run', message: (e as Error).message });
      }
      return;
    }
  }
}

// Messages are handled strictly in order: a worker runs one thing at a time.
let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  if (msg.type === 'exit') process.exit(msg.code); // handled at once, between runs (see worker-protocol)
  chain = chain.then(() => handle(msg));
});
