/**
 * The dynamic batcher of one model+version+variant. Requests (each with one or more rows) wait in a
 * bounded FIFO; rows of requests with identical non-batch shapes are concatenated along dim 0, run as one
 * engine batch, and split back exactly.
 *
 * Policies (Triton's dynamic_batching, made adaptive; see DESIGN "batching policy must be adaptive"):
 * - `adaptive`: dispatch at once when an engine slot is idle (low load, low latency); while every slot is
 *   busy, rows accumulate and leave as one batch the moment a slot frees (high load, big batches). A full
 *   batch (maxBatchSize rows) always leaves at once. The window (maxQueueDelayMs, opened by the oldest
 *   request) only matters when something else holds the slots: a request past its window leaves with the
 *   first free slot; the batcher itself never holds a request while a slot is idle.
 * - `window`: the plain fixed window: dispatch when the batch is full or the oldest request has waited
 *   maxQueueDelayMs, whether or not the engine is idle (the benchmark's comparison point).
 * - `off`: every request runs alone, immediately.
 * Deadlines and cancellation reach the queue: an expired or cancelled request leaves before its batch runs.
 */
import { performance } from 'node:perf_hooks';
import { InferenceError, isInferenceError } from '../errors/index.js';
import { metrics } from '../metrics/metrics.js';
import { concatRows, rowBytes, type HostTensor, type NamedTensors } from '../tensor/tensor.js';
import type { InferenceEngine } from '../engine/inference-engine.js';
import type { BatchScheduler } from './batch-scheduler.js';

/** Batching policy. */
export type BatchingPolicy = 'off' | 'window' | 'adaptive';

/** Settings of one batcher. */
export interface DynamicBatcherOptions {
  /** Engine variant key, e.g. `lead-intent/1/int8`. */
  readonly key: string;
  /** Model name, for metrics. */
  readonly model: string;
  /** Variant name, for metrics. */
  readonly variant: string;
  readonly policy: BatchingPolicy;
  readonly maxBatchSize: number;
  readonly maxQueueDelayMs: number;
  /** Maximum rows waiting (not yet running); beyond it submissions fail with QUEUE_FULL. */
  readonly maxQueueSize: number;
}

/** One request's rows. */
export interface BatchSubmission {
  readonly inputs: NamedTensors;
  readonly rows: number;
  /** Absolute deadline in ms since the epoch (Date.now()), if any. */
  readonly deadline?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** One request's share of a batch result. */
export interface BatchResult {
  readonly outputs: Readonly<Record<string, HostTensor>>;
  readonly queueUs: number;
  readonly computeUs: number;
  /** Rows in the engine batch these rows ran in. */
  readonly batchSize: number;
}

interface Entry {
  readonly sub: BatchSubmission;
  readonly shapeKey: string;
  readonly arrival: number;
  readonly resolve: (r: BatchResult) => void;
  readonly reject: (e: Error) => void;
  cleanup: () => void;
}

function shapeKeyOf(inputs: NamedTensors): string {
  return Object.keys(inputs).sort().map((n) => {
    const t = inputs[n] as HostTensor;
    return `${n}:${t.dtype}:${t.shape.slice(1).join('x')}`;
  }).join('|');
}

/** A per-variant dynamic batcher over an InferenceEngine. */
export class DynamicBatcher {
  readonly #o: DynamicBatcherOptions;
  readonly #engine: InferenceEngine;
  readonly #queue: Entry[] = [];
  #queuedRows = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #closed = false;
  readonly #idleWaiters: (() => void)[] = [];
  readonly #unregister: () => void;

  constructor(options: DynamicBatcherOptions, engine: InferenceEngine, scheduler: BatchScheduler) {
    this.#o = options;
    this.#engine = engine;
    this.#unregister = scheduler.register(this);
  }

  /** The options in force. */
  get options(): DynamicBatcherOptions {
    return this.#o;
  }

  /** Rows waiting to run. */
  get queuedRows(): number {
    return this.#queuedRows;
  }

  /** Queues a request's rows; resolves with its own rows of the batch output. */
  submit(sub: BatchSubmission): Promise<BatchResult> {
    if (this.#closed) return Promise.reject(new InferenceError('SHUTTING_DOWN', `${this.#o.key} is unloading or the server is shutting down`));
    if (sub.rows < 1 || sub.rows > this.#o.maxBatchSize) {
      return Promise.reject(new InferenceError('INVALID_REQUEST', `${sub.rows} rows; model ${this.#o.model} accepts 1..${this.#o.maxBatchSize} rows per request (maxBatchSize)`));
    }
    if (this.#queuedRows + sub.rows > this.#o.maxQueueSize) {
      metrics.dropped.inc({ model: this.#o.model, reason: 'queue_full' });
      return Promise.reject(new InferenceError('QUEUE_FULL', `queue of ${this.#o.key} is full (${this.#queuedRows} of maxQueueSize ${this.#o.maxQueueSize} rows waiting); retry with backoff`));
    }
    if (sub.signal?.aborted) return Promise.reject(this.#abortError(sub));
    return new Promise<BatchResult>((resolve, reject) => {
      const entry: Entry = { sub, shapeKey: shapeKeyOf(sub.inputs), arrival: performance.now(), resolve, reject, cleanup: () => undefined };
      if (sub.signal) {
        const onAbort = (): void => this.#drop(entry, this.#abortError(sub));
        sub.signal.addEventListener('abort', onAbort, { once: true });
        entry.cleanup = () => sub.signal?.removeEventListener('abort', onAbort);
      }
      this.#queue.push(entry);
      this.#queuedRows += sub.rows;
      metrics.queueDepth.inc({ model: this.#o.model }, sub.rows);
      this.#pump();
    });
  }

  #abortError(sub: BatchSubmission): InferenceError {
    if (sub.deadline !== undefined && Date.now() >= sub.deadline) {
      return new InferenceError('DEADLINE_EXCEEDED', `deadline passed while queued for ${this.#o.key}; the request was not run`);
    }
    return new InferenceError('CANCELLED', `request cancelled while queued for ${this.#o.key}; it was not run`);
  }

  #drop(entry: Entry, err: InferenceError): void {
    const i = this.#queue.indexOf(entry);
    if (i < 0) return; // already dispatched: its batch result will simply go unread
    this.#queue.splice(i, 1);
    this.#queuedRows -= entry.sub.rows;
    metrics.queueDepth.dec({ model: this.#o.model }, entry.sub.rows);
    metrics.dropped.inc({ model: this.#o.model, reason: err.code === 'DEADLINE_EXCEEDED' ? 'deadline' : 'cancelled' });
    entry.cleanup();
    entry.reject(err);
    this.#notifyIfIdle();
  }

  /** SchedulableQueue: arrival of the oldest waiting request. */
  oldestArrival(): number | undefined {
    return this.#queue[0]?.arrival;
  }

  /** SchedulableQueue: an engine slot went idle. */
  onEngineIdle(): void {
    this.#pump();
  }

  #pump(): void {
    const now = performance.now();
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Entry;
      if (this.#closed || this.#o.policy === 'off') {
        this.#dispatch(this.#closed ? this.#take() : [this.#queue.shift() as Entry]);
        continue;
      }
      const full = this.#rowsReady(head.shapeKey) >= this.#o.maxBatchSize;
      const expired = now - head.arrival >= this.#o.maxQueueDelayMs;
      const idle = this.#engine.idleSlots() > 0;
      const go = this.#o.policy === 'window' ? full || expired : full || idle;
      if (!go) break;
      this.#dispatch(this.#take());
    }
    this.#armTimer(now);
  }

  /** Rows of the given shape waiting, capped at the first entry that would overflow a batch. */
  #rowsReady(shapeKey: string): number {
    let rows = 0;
    for (const e of this.#queue) {
      if (e.shapeKey !== shapeKey) continue;
      if (rows + e.sub.rows > this.#o.maxBatchSize) return this.#o.maxBatchSize;
      rows += e.sub.rows;
    }
    return rows;
  }

  /** Removes the head and every later entry of the same shape that fits into one batch. */
  #take(): Entry[] {
    const head = this.#queue[0] as Entry;
    const picked: Entry[] = [];
    let rows = 0;
    for (let i = 0; i < this.#queue.length;) {
      const e = this.#queue[i] as Entry;
      if (e.shapeKey === head.shapeKey && rows + e.sub.rows <= this.#o.maxBatchSize) {
        picked.push(e);
        rows += e.sub.rows;
        this.#queue.splice(i, 1);
      } else {
        i++;
      }
      if (rows === this.#o.maxBatchSize) break;
    }
    return picked;
  }

  #armTimer(now: number): void {
    const head = this.#queue[0];
    if (!head || this.#o.policy === 'off') {
      if (this.#timer) { clearTimeout(this.#timer); this.#timer = undefined; }
      return;
    }
    // adaptive: a request past its window waits only for a slot (the scheduler wakes us); no timer needed.
    if (this.#o.policy === 'adaptive' && now - head.arrival >= this.#o.maxQueueDelayMs) return;
    const due = head.arrival + this.#o.maxQueueDelayMs;
    if (this.#timer && this.#timerDue === due) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(() => { this.#timer = undefined; this.#pump(); }, Math.max(0, due - now));
  }

  #dispatch(entries: Entry[]): void {
    const now = Date.now();
    const live: Entry[] = [];
    for (const e of entries) {
      this.#queuedRows -= e.sub.rows;
      metrics.queueDepth.dec({ model: this.#o.model }, e.sub.rows);
      e.cleanup();
      if (e.sub.signal?.aborted || (e.sub.deadline !== undefined && now >= e.sub.deadline)) {
        metrics.dropped.inc({ model: this.#o.model, reason: e.sub.signal?.aborted && !(e.sub.deadline !== undefined && now >= e.sub.deadline) ? 'cancelled' : 'deadline' });
        e.reject(this.#abortError(e.sub));
      } else {
        live.push(e);
      }
    }
    if (live.length === 0) { this.#notifyIfIdle(); return; }
    this.#run(live, false);
  }

  /**
   * Runs entries as one engine batch and splits the result back. When a merged batch fails in the engine
   * (e.g. one caller's token id is out of the embedding's range), every request is re-run alone, so only
   * the request that causes the failure gets the error and the others in its batch still get answers.
   */
  #run(live: Entry[], isolated: boolean): void {
    const names = Object.keys((live[0] as Entry).sub.inputs);
    const batchInputs: Record<string, HostTensor> = {};
    for (const n of names) batchInputs[n] = concatRows(live.map((e) => e.sub.inputs[n] as HostTensor), true);
    const batchRows = live.reduce((s, e) => s + e.sub.rows, 0);
    this.#inFlight++;
    const labels = { model: this.#o.model, variant: this.#o.variant };
    this.#engine.run(this.#o.key, batchInputs, true).then((res) => {
      const doneAt = performance.now();
      metrics.executions.inc(labels);
      metrics.inferenceRows.inc(labels, batchRows);
      metrics.batchSize.observe(labels, batchRows);
      metrics.computeDuration.observe(labels, res.computeUs / 1e6);
      let row = 0;
      for (const e of live) {
        const outputs: Record<string, HostTensor> = {};
        try {
          for (const [name, t] of Object.entries(res.outputs)) {
            if (t.shape[0] !== batchRows) throw new InferenceError('ENGINE_FAILURE', `output ${name} has ${t.shape[0]} rows for a batch of ${batchRows}`);
            const rb = rowBytes(t.dtype, t.shape);
            outputs[name] = { dtype: t.dtype, shape: [e.sub.rows, ...t.shape.slice(1)], data: t.data.subarray(row * rb, (row + e.sub.rows) * rb) };
          }
        } catch (err) {
          e.reject(err as Error);
          continue;
        }
        const queueUs = Math.max(0, Math.round((doneAt - e.arrival) * 1000) - res.computeUs);
        metrics.queueDuration.observe({ model: this.#o.model }, queueUs / 1e6);
        e.resolve({ outputs, queueUs, computeUs: res.computeUs, batchSize: batchRows });
        row += e.sub.rows;
      }
    }, (err: Error) => {
      if (!isolated && live.length > 1 && isInferenceError(err, 'ENGINE_FAILURE')) {
        for (const e of live) this.#run([e], true);
        return;
      }
      for (const e of live) e.reject(err);
    }).finally(() => {
      this.#inFlight--;
      this.#notifyIfIdle();
    });
  }

  #notifyIfIdle(): void {
    if (this.#queue.length === 0 && this.#inFlight === 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  /** Dispatches everything queued now and resolves when nothing is queued or running (graceful shutdown). */
  drain(): Promise<void> {
    this.#closed = true;
    this.#pump();
    if (this.#queue.length === 0 && this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops accepting work; queued requests fail with SHUTTING_DOWN. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    const err = new InferenceError('SHUTTING_DOWN', `${this.#o.key} was unloaded`);
    for (const e of this.#queue.splice(0)) { e.cleanup(); e.reject(err); }
    metrics.queueDepth.dec({ model: this.#o.model }, this.#queuedRows);
    this.#queuedRows = 0;
    this.#unregister();
    this.#notifyIfIdle();
  }
}
