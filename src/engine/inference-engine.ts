/**
 * The engine contract the batcher and the repository talk to. The batcher knows nothing of ONNX Runtime:
 * it runs a batch on a loaded variant and watches for idle capacity.
 */
import type { HostTensor, NamedTensors } from '../tensor/tensor.js';

/** A model variant file to load into every engine worker. */
export interface VariantLoadSpec {
  /** Unique key of the loaded variant, e.g. `lead-intent/1/int8`. */
  readonly key: string;
  readonly modelPath: string;
  /** ONNX Runtime graph optimizers every session of the variant leaves out (OrtSessionSettings.disabledOptimizers). */
  readonly disabledOptimizers?: readonly string[] | undefined;
}

/** What a worker learned when it created the session. */
export interface LoadedVariantInfo {
  readonly key: string;
  /** The execution provider actually in use ('cpu' or 'cuda'). */
  readonly provider: string;
  readonly inputs: readonly { name: string; type: string; shape: readonly (number | string)[] }[];
  readonly outputs: readonly { name: string; type: string; shape: readonly (number | string)[] }[];
}

/** The result of one engine run. */
export interface EngineRunResult {
  readonly outputs: Readonly<Record<string, HostTensor>>;
  /** Time spent inside session.run, in microseconds. */
  readonly computeUs: number;
}

/** Runs batches on loaded variants. */
export interface InferenceEngine {
  /**
   * Runs one batch on any free worker (FIFO when all are busy; the batcher only calls it when a slot is idle,
   * so batches never wait here). With `transferInputs` the caller hands the
   * input buffers over (they are detached afterwards); otherwise they are copied once.
   */
  run(key: string, inputs: NamedTensors, transferInputs?: boolean): Promise<EngineRunResult>;
  /**
   * Starts one batch on a free slot that can run it without a promise (a tiny variant on the main thread, or a
   * lone batch on the main-thread all-core session of an idle engine) and answers through `done`; false, and
   * nothing started, when it cannot (then use `run`). The batch runs in the next check phase; with `now` (the
   * caller is in the check phase already: the batcher's start of a batch it collected over one turn) a free
   * runner runs it before returning, so `done` may have been called by then.
   */
  runSoon?(key: string, inputs: NamedTensors, done: (err: Error | undefined, res?: EngineRunResult) => void, now?: boolean): boolean;
  /** Slots free to start a batch of variant `key` now (workers, or the main-thread slot of a tiny variant). */
  idleSlots(key: string): number;
  /** Batches of variant `key` that can run at once. */
  capacity(key: string): number;
  /** Calls `listener` whenever a worker becomes idle; returns an unsubscribe function. */
  onIdle(listener: () => void): () => void;
}

/**
 * What the model repository needs from the engine beyond running batches: loading variants into every
 * worker, running warm-up on a chosen worker, and saying where a variant's batches run.
 */
export interface ModelEngine extends InferenceEngine {
  /** Engine workers (warm-up runs every bucket on each). */
  readonly size: number;
  /** Loads a variant into every worker; resolves with what the first worker reported. */
  load(spec: VariantLoadSpec): Promise<LoadedVariantInfo>;
  /** Releases a variant everywhere. */
  unload(key: string): Promise<void>;
  /** Runs a batch on one specific worker (warm-up must touch every worker's session); `wide`: worker 0's wide session. */
  runOn(workerIndex: number, key: string, inputs: NamedTensors, wide?: boolean): Promise<EngineRunResult>;
  /** Whether the variant has a wide (all-core) session to profile. */
  hasWide?(key: string): boolean;
  /** Sizes (of all profiled `sizes`) at which a lone batch uses the wide session when every worker is idle. */
  useWideAt?(key: string, sizes: readonly number[], helps: readonly number[]): void;
  /** Runs a variant's lone batches of up to `maxRows` rows on the main thread on every core when the engine is idle; false when it cannot. */
  placeIdleOnMainThread?(key: string, maxRows: number): Promise<boolean>;
  /** Moves a variant's batches to the main thread; false when it cannot. */
  placeOnMainThread?(key: string): Promise<boolean>;
  /** Where the variant's batches run now (`main-thread`, `workers`, ...), for metadata. */
  dispatchPath(key: string): string;
}
