/** Messages between the engine pool (main thread) and an ORT worker thread. */

/** A tensor crossing the thread boundary (main thread <-> engine worker): its bytes travel in a transferred ArrayBuffer. */
export interface TransferTensor {
  name: string;
  dtype: string;
  shape: number[];
  buffer: ArrayBuffer;
  byteOffset: number;
  byteLength: number;
}

/** Session options chosen by the service config. */
export interface WorkerSessionOptions {
  provider: 'cpu' | 'cuda';
  intraOpThreads: number;
  /** ORT graph optimization level: at least 'extended' so INT8 MatMulInteger chains fuse. */
  graphOptimizationLevel: 'extended' | 'all';
  /** ONNX Runtime graph optimizers not to run for this variant (measured slower here: fused-variant.ts). */
  disabledOptimizers?: readonly string[] | undefined;
}

/** Main -> worker. */
export type ToWorker =
  | { type: 'load'; id: number; key: string; modelPath: string; options: WorkerSessionOptions }
  | { type: 'unload'; id: number; key: string }
  | { type: 'run'; id: number; key: string; inputs: TransferTensor[] }
  /** Exit the thread from a message handler, never mid-run: terminate() during a native ORT run aborts the
   * whole process, so both shutdown ('exit', code 0) and crash drills ('crash', code 70) go through here. */
  | { type: 'exit'; code: number };

/** Worker -> main. */
export type FromWorker =
  | { type: 'loaded'; id: number; key: string; provider: string; fallbackReason?: string;
      inputs: { name: string; type: string; shape: (number | string)[] }[];
      outputs: { name: string; type: string; shape: (number | string)[] }[] }
  | { type: 'unloaded'; id: number }
  | { type: 'result'; id: number; outputs: TransferTensor[]; computeUs: number }
  | { type: 'error'; id: number; message: string; kind: 'load' | 'run' | 'unknown-variant' };
