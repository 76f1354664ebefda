/**
 * Runs the sessions of tiny variants on the main thread. For a model whose whole batch computes in well
 * under a millisecond (the bundled MLPs: ~15 us at batch 1), the trip to a worker thread and back costs more
 * than the inference, and a queue behind a heavy model's long batches makes its callers wait for nothing.
 * The pool moves a variant here only when its measured batches are all below a bound
 * (HUB_INLINE_MAX_COMPUTE_US), so the event loop is never blocked for longer than that per batch.
 */
import { performance } from 'node:perf_hooks';
import type ort from 'onnxruntime-node';
import { rowsOf, type NamedTensors } from '../tensor/tensor.js';
import type { EngineRunResult } from './inference-engine.js';
import { createSession, fromOrtTensor, toFeeds, type OrtSessionSettings } from './ort-session.js';
import { createSyncSession, type SyncSession } from './sync-session.js';
import { moduleLogger } from '../logging/logger.js';

const log = moduleLogger('engine');

/** The engine result of a run that started at `start` (performance.now()). */
function outputsOf(results: Record<string, ort.Tensor>, start: number): EngineRunResult {
  const computeUs = Math.round((performance.now() - start) * 1000);
  const outputs: Record<string, ReturnType<typeof fromOrtTensor>> = {};
  for (const name in results) outputs[name] = fromOrtTensor(results[name] as ort.Tensor);
  return { outputs, computeUs };
}

/** A variant's moving average of batch rows after one more batch of `rows` rows (weight 1/5 on the newest; 1 before any). */
export function recentRowsAfter(previous: number | undefined, rows: number): number {
  return 0.8 * (previous ?? 1) + 0.2 * rows;
}

/** A main-thread session: the synchronous native one when available, else the public API's. */
type MainSession = { readonly sync: SyncSession } | { readonly session: ort.InferenceSession };

/**
 * Runs a lone batch elsewhere on a warm core (the idle spinner's lane), or returns undefined when it cannot now
 * and the batch runs here.
 */
export type MainLane = (key: string, inputs: NamedTensors) => EngineRunResult | undefined;

/** Main-thread sessions, one run at a time. */
export class MainThreadRunner {
  readonly #sessions = new Map<string, MainSession>();
  readonly #lane: MainLane | undefined;
  #busy = false;
  /** The batch waiting for the check phase (one at most: the slot is single). */
  #next: { readonly key: string; readonly sync: SyncSession; readonly inputs: NamedTensors; readonly lane: boolean; readonly done: (err: Error | undefined, res?: EngineRunResult) => void } | undefined;
  /** True while #drain runs batches: a batch started meanwhile joins it instead of waiting a turn (when #chain). */
  #draining = false;
  /** Whether a batch started while a drain runs joins it (see runSoon); else it waits for the next check phase. */
  readonly #chain: boolean;
  /** Moving average of the rows of each variant's recent batches (see recentRows). */
  readonly #recentRows = new Map<string, number>();

  /**
   * `lane`: where a lone batch may run instead (runSoon's `lane`). `chain` (default true): a batch started while a
   * drain runs joins it. The all-core runner of lone heavy batches turns it off: there the next batch (2.5 ms of
   * lead-intent) would run ahead of the answer of the one that just finished, which only goes out after the drain.
   */
  constructor(lane?: MainLane, chain = true) {
    this.#lane = lane;
    this.#chain = chain;
  }

  /** Whether `key` runs here. */
  has(key: string): boolean {
    return this.#sessions.has(key);
  }

  /** True while a run is in progress (the single main-thread slot is taken). */
  get busy(): boolean {
    return this.#busy;
  }

  /** Variants running here. */
  keys(): string[] {
    return [...this.#sessions.keys()];
  }

  /**
   * Moving average (weight 1/5 on the newest) of the rows of the variant's recent batches here: ~1 while lone
   * requests arrive one at a time, ~20 for lead-scoring at 128 callers, where requests meet in the batcher.
   */
  recentRows(key: string): number {
    return this.#recentRows.get(key) ?? 1;
  }

  #noteRows(key: string, inputs: NamedTensors): void {
    this.#recentRows.set(key, recentRowsAfter(this.#recentRows.get(key), rowsOf(inputs)));
  }

  /**
   * Creates a CPU session with `threads` intra-op threads: one for a tiny model (it gains nothing from more),
   * every core for a lone batch of a heavier one on an idle engine (WorkerPool.placeIdleOnMainThread).
   */
  async load(key: string, modelPath: string, settings: OrtSessionSettings, threads = 1): Promise<void> {
    const opts = { ...settings, provider: 'cpu' as const, intraOpThreads: threads };
    const sync = createSyncSession(modelPath, opts);
    const next: MainSession = sync ? { sync } : { session: (await createSession(modelPath, opts)).session };
    await this.#release(this.#sessions.get(key));
    this.#sessions.set(key, next);
  }

  /**
   * Runs one batch; the caller made sure the slot was free. The run waits for the event loop's check phase
   * (as onnxruntime-node's own run does): every call that arrived in the same read of the sockets is queued
   * behind it by then, and leaves as the next batch, instead of each running alone.
   */
  async run(key: string, inputs: NamedTensors, lane = false): Promise<EngineRunResult> {
    const s = this.#sessions.get(key);
    if (!s) throw new Error(`variant ${key} is not loaded on the main thread`);
    if ('sync' in s) {
      return new Promise<EngineRunResult>((resolve, reject) => {
        this.runSoon(key, inputs, (err, res) => (err ? reject(err) : resolve(res as EngineRunResult)), lane);
      });
    }
    this.#busy = true;
    this.#noteRows(key, inputs);
    try {
      const feeds = toFeeds(inputs);
      const start = performance.now();
      const results = await s.session.run(feeds);
      return outputsOf(results, start);
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Runs one batch of a variant with a synchronous session in the check phase, answering through `done` (no
   * promise: the per-call path of a tiny model is mostly promise hops and their garbage). False, and nothing
   * runs, when the variant has no synchronous session here; the caller made sure the slot was free.
   *
   * A batch started while this check phase runs (the batcher dispatches the rows that waited behind the one
   * that just finished) runs in the same check phase, not one turn of the event loop later: the rows are all
   * here, and another read of the sockets first only makes them (and the calls they hold) live longer.
   * With `now` (the caller is in the check phase) a runner that is not draining runs the batch before returning.
   */
  runSoon(key: string, inputs: NamedTensors, done: (err: Error | undefined, res?: EngineRunResult) => void, lane = false, now = false): boolean {
    const sync = this.#syncOf(key);
    if (!sync) return false;
    this.#busy = true;
    this.#noteRows(key, inputs);
    this.#next = { key, sync, inputs, lane, done };
    if (!this.#draining) {
      if (now) this.#drain(); else setImmediate(this.#drain);
    }
    return true;
  }

  /** Whether runSoon would start a batch of this variant (it has a synchronous session here). */
  canRunSoon(key: string): boolean {
    return this.#syncOf(key) !== undefined;
  }

  /** The variant's synchronous session, when it has one here. */
  #syncOf(key: string): SyncSession | undefined {
    const s = this.#sessions.get(key);
    return s && 'sync' in s ? s.sync : undefined;
  }

  /** Runs the waiting batch, and (when chaining) every batch its completion starts, in this check phase. */
  readonly #drain = (): void => {
    this.#draining = true;
    try {
      for (let b = this.#next; b; b = this.#chain ? this.#next : undefined) {
        this.#next = undefined;
        let res: EngineRunResult;
        try {
          const elsewhere = b.lane ? this.#lane?.(b.key, b.inputs) : undefined;
          if (elsewhere) {
            res = elsewhere;
          } else {
            const feeds = toFeeds(b.inputs);
            const start = performance.now();
            res = outputsOf(b.sync.run(feeds), start);
          }
        } catch (e) {
          this.#busy = false;
          answer(b, e as Error);
          continue;
        }
        this.#busy = false;
        answer(b, undefined, res);
      }
    } finally {
      this.#draining = false;
      // When a `done` threw, or without chaining: the batch started meanwhile still needs its turn.
      if (this.#next) setImmediate(this.#drain);
    }
  };

  async #release(s: MainSession | undefined): Promise<void> {
    if (!s) return;
    if ('sync' in s) s.sync.release(); else await s.session.release();
  }

  /** Releases a variant's session. */
  async unload(key: string): Promise<void> {
    const s = this.#sessions.get(key);
    this.#sessions.delete(key);
    this.#recentRows.delete(key);
    await this.#release(s);
  }

  /** Releases every session. */
  async close(): Promise<void> {
    await Promise.all(this.keys().map((k) => this.unload(k)));
  }
}

/**
 * Calls a batch's `done`. A throw there is a bug of the caller's, and it must not end the drain (the next batch
 * would wait a turn more) or escape from the check phase as an uncaught exception, which would end the process
 * and every other caller's call: it is logged.
 */
function answer(b: { readonly key: string; readonly done: (err: Error | undefined, res?: EngineRunResult) => void }, err: Error | undefined, res?: EngineRunResult): void {
  try {
    b.done(err, res);
  } catch (e) {
    log.error({ variant: b.key, err: (e as Error).message }, 'a batch\'s answer callback threw; the engine keeps serving');
  }
}
