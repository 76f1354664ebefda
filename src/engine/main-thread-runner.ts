/**
 * Runs the sessions of tiny variants on the main thread. For a model whose whole batch computes in well
 * under a millisecond (the bundled MLPs: ~15 us at batch 1), the trip to a worker thread and back costs more
 * than the inference, and a queue behind a heavy model's long batches makes its callers wait for nothing.
 * The pool moves a variant here only when its measured batches are all below a bound
 * (HUB_INLINE_MAX_COMPUTE_US), so the event loop is never blocked for longer than that per batch.
 */
import { performance } from 'node:perf_hooks';
import type ort from 'onnxruntime-node';
import type { NamedTensors } from '../tensor/tensor.js';
import type { EngineRunResult } from './inference-engine.js';
import { createSession, fromOrtTensor, toFeeds, type OrtSessionSettings } from './ort-session.js';

/** Main-thread sessions, one run at a time. */
export class MainThreadRunner {
  readonly #sessions = new Map<string, ort.InferenceSession>();
  #busy = false;

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

  /** Creates a CPU session with one intra-op thread (a tiny model gains nothing from more). */
  async load(key: string, modelPath: string, settings: OrtSessionSettings): Promise<void> {
    const { session } = await createSession(modelPath, { ...settings, provider: 'cpu', intraOpThreads: 1 });
    await this.#sessions.get(key)?.release();
    this.#sessions.set(key, session);
  }

  /** Runs one batch; the caller made sure the slot was free. */
  async run(key: string, inputs: NamedTensors): Promise<EngineRunResult> {
    const session = this.#sessions.get(key);
    if (!session) throw new Error(`variant ${key} is not loaded on the main thread`);
    this.#busy = true;
    try {
      const feeds = toFeeds(inputs);
      const start = performance.now();
      const results = await session.run(feeds);
      const computeUs = Math.round((performance.now() - start) * 1000);
      const outputs: Record<string, ReturnType<typeof fromOrtTensor>> = {};
      for (const [name, t] of Object.entries(results)) outputs[name] = fromOrtTensor(t);
      return { outputs, computeUs };
    } finally {
      this.#busy = false;
    }
  }

  /** Releases a variant's session. */
  async unload(key: string): Promise<void> {
    const s = this.#sessions.get(key);
    this.#sessions.delete(key);
    await s?.release();
  }

  /** Releases every session. */
  async close(): Promise<void> {
    await Promise.all(this.keys().map((k) => this.unload(k)));
  }
}
