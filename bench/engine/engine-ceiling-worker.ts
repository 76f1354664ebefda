/**
 * One engine-ceiling worker thread: a single ONNX Runtime session (same options as the service's engine
 * workers) running the same batch back to back for a fixed time. No gRPC, no queue, no copies per call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type ort from 'onnxruntime-node';
import { createSession, toOrtTensor } from '../../src/engine/ort-session.js';

/** What the parent sends. */
export interface CeilingWorkerData {
  readonly modelPath: string;
  readonly seconds: number;
  readonly inputs: readonly { name: string; dtype: 'float32' | 'int64'; shape: number[]; bytes: Uint8Array }[];
}

/** What the worker answers. */
export interface CeilingWorkerResult {
  readonly runs: number;
  readonly seconds: number;
}


async function main(): Promise<void> {
  const data = workerData as CeilingWorkerData;
  // The service's own session set-up (src/engine/ort-session.ts), as its workers run it: one intra-op thread.
  const { session } = await createSession(data.modelPath, { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' });
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of data.inputs) {
    const copy = new Uint8Array(t.bytes);
    feeds[t.name] = toOrtTensor(t.dtype, t.shape, copy.buffer, 0, copy.byteLength);
  }
  for (let i = 0; i < 2; i++) await session.run(feeds); // warm-up: first runs allocate and tune
  let runs = 0;
  const start = performance.now();
  const end = start + data.seconds * 1000;
  while (performance.now() < end) {
    await session.run(feeds);
    runs++;
  }
  const result: CeilingWorkerResult = { runs, seconds: (performance.now() - start) / 1000 };
  await session.release();
  parentPort?.postMessage(result);
}

main().catch((e: unknown) => { throw e; });
