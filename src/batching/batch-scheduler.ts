/**
 * Shares the engine's idle slots among the batchers fairly: when a worker frees up, the batcher whose
 * oldest request has waited longest goes first (so a busy model cannot starve a quiet one).
 */
import type { InferenceEngine } from '../engine/inference-engine.js';

/** What the scheduler needs from a batcher. */
export interface SchedulableQueue {
  /** Arrival time (ms, performance.now) of the oldest queued request, or undefined when empty. */
  oldestArrival(): number | undefined;
  /** Called when an engine slot is idle; the queue dispatches if its policy wants to. */
  onEngineIdle(): void;
}

/** One per engine: fans idle notifications out to batchers, oldest waiter first. */
export class BatchScheduler {
  readonly #queues = new Set<SchedulableQueue>();
  readonly #engine: InferenceEngine;
  readonly #unsubscribe: () => void;

  constructor(engine: InferenceEngine) {
    this.#engine = engine;
    this.#unsubscribe = engine.onIdle(() => this.#dispatchIdle());
  }

  /** Registers a batcher; returns the unregister function. */
  register(q: SchedulableQueue): () => void {
    this.#queues.add(q);
    return () => this.#queues.delete(q);
  }

  #dispatchIdle(): void {
    const waiting = [...this.#queues]
      .map((q) => ({ q, t: q.oldestArrival() }))
      .filter((x): x is { q: SchedulableQueue; t: number } => x.t !== undefined)
      .sort((a, b) => a.t - b.t);
    for (const { q } of waiting) {
      if (this.#engine.idleSlots() === 0) return;
      q.onEngineIdle();
    }
  }

  /** Stops listening to the engine. */
  close(): void {
    this.#unsubscribe();
    this.#queues.clear();
  }
}
