/**
 * One engine-ceiling worker thread: a single ONNX Runtime session (same options as the service's engine
 * workers) running the same batch back to back for a fixed time. No gRPC, no queue, no copies per call.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';

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

function tensor(t: CeilingWorkerData['inputs'][number]): ort.Tensor {
  const copy = new Uint8Array(t.bytes);
  return t.dtype === 'int64'
    ? new ort.Tensor('int64', new BigInt64Array(copy.buffer), t.shape)
    : new ort.Tensor('float32', new Float32Array(copy.buffer), t.shape);
}

async function main(): Promise<void> {
  const data = workerData as CeilingWorkerData;
  const session = await ort.InferenceSession.create(data.modelPath, {
    graphOptimizationLevel: 'extended', intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', executionProviders: ['cpu'],
  });
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of data.inputs) feeds[t.name] = tensor(t);
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
