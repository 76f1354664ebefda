/**
 * Shares the engine's slots among the batchers fairly. When a slot frees, the batcher that has used the
 * least engine time goes first (start-time fair queueing over measured compute time): a model flooding the
 * engine with long batches cannot starve a quiet model, which gets the next free slot however long the
 * flood's queue is. A batcher that was idle joins at the current virtual clock, so it cannot bank idle time
 * and then monopolise the engine.
 */
import type { InferenceEngine } from '../engine/inference-engine.js';

/** What the scheduler needs from a batcher. */
export interface SchedulableQueue {
  /** Arrival time (ms, performance.now) of the oldest queued request, or undefined when empty. */
  oldestArrival(): number | undefined;
  /** Called when an engine slot is idle; the queue dispatches if its policy wants to. */
  onEngineIdle(): void;
}

/** A batcher's link to the scheduler. */
export interface SchedulerHandle {
  /** The queue went from empty to non-empty. */
  activated(): void;
  /** The queue is empty. */
  deactivated(): void;
  /** A batch of this queue used `ms` of engine time. */
  charge(ms: number): void;
  /** Leaves the scheduler. */
  unregister(): void;
}

interface Member {
  readonly q: SchedulableQueue;
  /** Engine time used (ms), on the scheduler's virtual clock. */
  vtime: number;
  active: boolean;
}

/** One per engine: fans idle notifications out to batchers, least-served first. */
export class BatchScheduler {
  readonly #members = new Set<Member>();
  readonly #unsubscribe: () => void;
  /** The virtual time of the last batcher served: where a newly active batcher starts. */
  #clock = 0;

  constructor(engine: InferenceEngine) {
    this.#unsubscribe = engine.onIdle(() => this.#dispatchIdle());
  }

  /** Registers a batcher. */
  register(q: SchedulableQueue): SchedulerHandle {
    const m: Member = { q, vtime: this.#clock, active: false };
    this.#members.add(m);
    return {
      activated: () => {
        if (m.active) return;
        m.active = true;
        m.vtime = Math.max(m.vtime, this.#clock);
      },
      deactivated: () => { m.active = false; },
      charge: (ms) => {
        m.vtime += ms;
        this.#clock = Math.max(this.#clock, Math.min(m.vtime, this.#minActive() ?? m.vtime));
      },
      unregister: () => { this.#members.delete(m); },
    };
  }

  #minActive(): number | undefined {
    let min: number | undefined;
    for (const m of this.#members) if (m.active && (min === undefined || m.vtime < min)) min = m.vtime;
    return min;
  }

  #dispatchIdle(): void {
    // Called after every batch: one pass over the members, and a sort only when several have work waiting.
    const waiting: { m: Member; t: number }[] = [];
    for (const m of this.#members) {
      const t = m.q.oldestArrival();
      if (t !== undefined) waiting.push({ m, t });
    }
    if (waiting.length > 1) waiting.sort((a, b) => a.m.vtime - b.m.vtime || a.t - b.t);
    // Each batcher checks the slots of its own variant (a tiny variant has its own main-thread slot).
    for (const { m } of waiting) m.q.onEngineIdle();
  }

  /** Stops listening to the engine. */
  close(): void {
    this.#unsubscribe();
    this.#members.clear();
  }
}
