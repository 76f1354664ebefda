/**
 * What one batcher has measured about its own service: how long a row takes to compute, and how fast its
 * queue drains while it is backlogged. Admission control reads it to refuse, at once, a request whose deadline
 * the queue ahead of it cannot meet (instead of letting it wait to fail), and to drop, at dispatch, a request
 * that would finish after its deadline (so no compute is spent on an answer nobody reads).
 *
 * The drain rate is measured, not derived from compute time: it already includes the worker hop, the share of
 * the engine other models take (fair scheduling) and however many batches run in parallel.
 */

/** EWMA weight of a new sample: a few batches decide, one outlier does not. */
const ALPHA = 0.2;

function ewma(prev: number | undefined, sample: number): number {
  return prev === undefined ? sample : prev + ALPHA * (sample - prev);
}

/** Measured service of one batcher. */
export class ServiceRate {
  readonly #parallelism: () => number;
  #computeMsPerRow: number | undefined;
  #computeFixedMs: number | undefined;
  #drainMsPerRow: number | undefined;
  #lastDoneAt: number | undefined;
  #backloggedAtLastDone = false;

  /** `parallelism` is how many batches can run at once (engine slots), used until a drain rate is measured. */
  constructor(parallelism: () => number) {
    this.#parallelism = parallelism;
  }

  /**
   * Records a finished batch: `rows` computed in `computeMs` inside the engine, finishing at `now` (ms,
   * performance.now). `backlogged` says whether rows were waiting when the previous batch finished: only then
   * is the gap between two completions a measure of the drain rate rather than of idle time.
   */
  recordBatch(rows: number, computeMs: number, now: number, backlogged: boolean): void {
    if (rows < 1) return;
    // Split compute into a per-batch fixed part and a per-row part with the two most informative points we
    // have cheaply: batch-1 runs feed the fixed part, larger runs the per-row slope.
    if (rows === 1) this.#computeFixedMs = ewma(this.#computeFixedMs, computeMs);
    else this.#computeMsPerRow = ewma(this.#computeMsPerRow, Math.max(0, computeMs - (this.#computeFixedMs ?? 0)) / rows);
    if (this.#computeMsPerRow === undefined && rows === 1) this.#computeMsPerRow = computeMs;
    if (this.#backloggedAtLastDone && this.#lastDoneAt !== undefined && now > this.#lastDoneAt) {
      this.#drainMsPerRow = ewma(this.#drainMsPerRow, (now - this.#lastDoneAt) / rows);
    }
    this.#lastDoneAt = now;
    this.#backloggedAtLastDone = backlogged;
  }

  /** Expected engine time of a batch of `rows` (0 before anything was measured). */
  computeMs(rows: number): number {
    if (this.#computeMsPerRow === undefined) return 0;
    return (this.#computeFixedMs ?? 0) + this.#computeMsPerRow * rows;
  }

  /**
   * Expected time until `rows` more rows, queued behind `rowsAhead`, have been answered; undefined before
   * anything was measured (admission then lets the request in: the first requests teach the rate).
   */
  waitMs(rowsAhead: number, rows: number): number | undefined {
    const total = rowsAhead + rows;
    if (this.#drainMsPerRow !== undefined) return total * this.#drainMsPerRow;
    if (this.#computeMsPerRow === undefined) return undefined;
    return (total * this.#computeMsPerRow) / Math.max(1, this.#parallelism()) + (this.#computeFixedMs ?? 0);
  }

  /** Rows per second this batcher drains while backlogged (0 before measured), for metrics and errors. */
  get drainRowsPerSecond(): number {
    return this.#drainMsPerRow ? 1000 / this.#drainMsPerRow : 0;
  }
}
