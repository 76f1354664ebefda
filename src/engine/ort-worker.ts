/**
 * An engine worker thread: holds one ONNX Runtime session per loaded variant and runs batches.
 * `session.run()` blocks its thread for the whole inference (DESIGN: measured), so it lives here and never
 * on the gRPC thread. Tensor bytes arrive and leave as transferred ArrayBuffers (no per-element copies).
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { createSession, fromOrtTensor, sessionSignature, toOrtTensor } from './ort-session.js';
import type { FromWorker, ToWorker, TransferTensor } from './worker-protocol.js';

const sessions = new Map<string, ort.InferenceSession>();
const port = parentPort;
if (!port) throw new Error('ort-worker must run in a worker thread');

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(msg, transfer);
}

/** A wire tensor's bytes as the worker's own copy to transfer back (ORT's output memory is not ours to move). */
function toTransfer(name: string, t: ort.Tensor): TransferTensor {
  const h = fromOrtTensor(t);
  const own = new Uint8Array(h.data);
  return { name, dtype: h.dtype, shape: [...h.shape], buffer: own.buffer, byteOffset: 0, byteLength: own.byteLength };
}

async function handle(msg: Exclude<ToWorker, { type: 'exit' }>): Promise<void> {
  switch (msg.type) {
    case 'load': {
      try {
        const { session, provider, fallbackReason } = await createSession(msg.modelPath, msg.options);
        const sig = sessionSignature(session);
        await sessions.get(msg.key)?.release();
        sessions.set(msg.key, session);
        post({ type: 'loaded', id: msg.id, key: msg.key, provider, ...(fallbackReason ? { fallbackReason } : {}),
          inputs: sig.inputs, outputs: sig.outputs });
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
        for (const t of msg.inputs) feeds[t.name] = toOrtTensor(t.dtype, t.shape, t.buffer, t.byteOffset, t.byteLength);
        const start = performance.now();
        const results = await session.run(feeds);
        const computeUs = Math.round((performance.now() - start) * 1000);
        const outputs = Object.entries(results).map(([name, t]) => toTransfer(name, t));
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
