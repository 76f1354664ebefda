/**
 * The dynamic batcher of one model+version+variant. Requests (each with one or more rows) wait in a
 * bounded FIFO; rows of requests with identical non-batch shapes are concatenated along dim 0, run as one
 * engine batch, and split back exactly.
 *
 * Admission control (DESIGN "work waits in exactly one bounded place"): this queue is the ONLY place rows
 * wait. A batch leaves it only when an engine slot can start it now, so the engine never holds a second,
 * hidden queue where deadlines, cancellation and maxQueueSize would not apply. A request is refused at once
 * (QUEUE_FULL, or OVERLOADED when the measured drain rate says the rows ahead of it cannot be answered before
 * its deadline) instead of waiting to fail, and a request whose deadline would pass before its batch could
 * finish is dropped at dispatch, unrun.
 *
 * Policies (Triton's dynamic_batching, made adaptive; see DESIGN "batching policy must be adaptive"):
 * - `adaptive`: dispatch at once when an engine slot is idle (low load, low latency); while every slot is
 *   busy, rows accumulate and leave as one batch the moment a slot frees (high load, big batches). The
 *   batcher never holds a request while a slot is idle.
 * - `window`: the plain fixed window: a batch leaves when it is full or the oldest request has waited
 *   maxQueueDelayMs (and a slot is free), whether or not the engine was idle earlier (the benchmark's
 *   comparison point).
 * - `off`: every request runs alone, as soon as a slot is free.
 * Deadlines and cancellation reach the queue: an expired or cancelled request leaves before its batch runs.
 */
import { performance } from 'node:perf_hooks';
import type { HotIncrementer, HotObserver } from '../metrics/hot-metrics.js';
import { InferenceError, isInferenceError } from '../errors/index.js';
import { metrics } from '../metrics/metrics.js';
import { concatRows, sliceRows, type HostTensor, type NamedTensors } from '../tensor/tensor.js';
import type { EngineRunResult, InferenceEngine } from '../engine/inference-engine.js';
import type { BatchScheduler, SchedulerHandle } from './batch-scheduler.js';
import { ServiceRate } from './service-rate.js';
import type { CancelSignal } from './cancel-signal.js';

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
  /**
   * The largest batch built from several requests (the warm-up profile's choice: past it rows/s stops rising);
   * default maxBatchSize. A single request larger than it still runs whole.
   */
  readonly batchCap?: number;
  /**
   * Triton's preferred_batch_size: when the rows waiting reach one of these sizes, a batch of the largest
   * reachable one leaves (the rest wait for the next free slot).
   */
  readonly preferredBatchSizes?: readonly number[];
  readonly maxQueueDelayMs: number;
  /** Maximum rows waiting (not yet running); beyond it submissions fail with QUEUE_FULL. */
  readonly maxQueueSize: number;
}

/** One request's rows. */
export interface BatchSubmission {
  readonly inputs: NamedTensors;
  readonly rows: number;
  /**
   * Absolute deadline in ms since the epoch (Date.now()), if any. Read at every check, so an owner that
   * shares these rows with later waiters (single-flight) may move it later while the rows wait.
   */
  readonly deadline?: number | undefined;
  readonly signal?: CancelSignal | undefined;
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
  /** Runs alone: its merged batch failed in the engine, so it is re-run by itself to find the culprit. */
  solo: boolean;
}

/** The batch an idle engine collects over one turn of the event loop (DynamicBatcher.#open). */
interface OpenBatch {
  readonly entries: Entry[];
  rows: number;
  /** The first entry's shape, computed when a second one asks to join. */
  shapeKey: string | undefined;
}

/** Admission refuses when the estimated wait times this exceeds the time left: estimates are averages. */
const ADMISSION_MARGIN = 1.25;
/** At dispatch, a request is dropped unless its deadline leaves this many times the batch's expected compute... */
const DISPATCH_MARGIN = 1.5;
/** ...plus this much (ms) for the trip to the worker and back. */
const DISPATCH_SLACK_MS = 5;

function noop(): void { /* nothing to undo */ }

function shapeKeyOf(inputs: NamedTensors): string {
  return Object.keys(inputs).sort().map((n) => {
    const t = inputs[n] as HostTensor;
    return `${n}:${t.dtype}:${t.shape.slice(1).join('x')}`;
  }).join('|');
}

function expired(sub: BatchSubmission, now: number): boolean {
  return sub.deadline !== undefined && now >= sub.deadline;
}

/**
 * Slack when telling a deadline from a cancellation: grpc-js cancels a call at its deadline on its own timer,
 * which can fire a millisecond before Date.now() reaches the deadline.
 */
const DEADLINE_SLACK_MS = 5;

/** A per-variant dynamic batcher over an InferenceEngine. */
export class DynamicBatcher {
  readonly #o: DynamicBatcherOptions;
  readonly #engine: InferenceEngine;
  readonly #queue: Entry[] = [];
  readonly #rate: ServiceRate;
  readonly #handle: SchedulerHandle;
  #queuedRows = 0;
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #closed = false;
  /**
   * The batch of an idle engine, open until this turn's check phase: the request that found the engine idle and
   * nothing queued, and every request of its shape that arrived in the same turn of the event loop (read from
   * the sockets together: at 2-4 lead-intent callers they came one at a time into batches of one, each paying a
   * whole turn, at 0.85x the plain server's calls/s and twice its p95). Counted in #inFlight from when it opens.
   */
  #open: OpenBatch | undefined;
  readonly #idleWaiters: (() => void)[] = [];
  /** The largest batch built from several requests: batchCap, never above maxBatchSize. */
  readonly #cap: number;
  /** This batcher's metric series, bound once (label lookups cost more than the per-call work they count). */
  readonly #metrics: {
    readonly executions: HotIncrementer; readonly inferenceRows: HotIncrementer;
    readonly batchSize: HotObserver; readonly computeDuration: HotObserver; readonly queueDuration: HotObserver;
  };

  constructor(options: DynamicBatcherOptions, engine: InferenceEngine, scheduler: BatchScheduler) {
    this.#o = options;
    this.#cap = Math.min(options.batchCap ?? options.maxBatchSize, options.maxBatchSize);
    const labels = { model: options.model, variant: options.variant };
    this.#metrics = {
      executions: metrics.executions.hot(labels), inferenceRows: metrics.inferenceRows.hot(labels),
      batchSize: metrics.batchSize.labels(labels), computeDuration: metrics.computeDuration.labels(labels),
      queueDuration: metrics.queueDuration.labels({ model: options.model }),
    };
    this.#engine = engine;
    this.#rate = new ServiceRate(() => engine.capacity(options.key));
    this.#handle = scheduler.register(this);
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
    if (sub.signal?.aborted || expired(sub, Date.now())) {
      // Already gone when it arrived (a busy event loop can deliver a call after its deadline): counted like any drop.
      const err = this.#abortError(sub);
      metrics.dropped.inc({ model: this.#o.model, reason: err.code === 'DEADLINE_EXCEEDED' ? 'deadline' : 'cancelled' });
      return Promise.reject(err);
    }
    const refusal = this.#admission(sub);
    if (refusal) return Promise.reject(refusal);
    const open = this.#open;
    if (this.#o.policy !== 'window' && !this.#closed && (open ? this.#joins(open, sub) : this.#queue.length === 0 && this.#engine.idleSlots(this.#o.key) > 0)) {
      // The fast path of an idle engine: nothing was waiting, so this request starts in this turn's check phase,
      // with those of its shape that arrive before then, without passing through the queue (no abort listener
      // either: it is as good as running, and a running request is computed to the end). One that cannot join
      // (another shape, past the cap) queues behind it.
      if (expired(sub, this.#finishAt(Date.now(), (open?.rows ?? 0) + sub.rows))) {
        metrics.dropped.inc({ model: this.#o.model, reason: 'deadline' });
        return Promise.reject(this.#wouldMissError());
      }
      return new Promise<BatchResult>((resolve, reject) => {
        const entry: Entry = { sub, shapeKey: '', arrival: performance.now(), resolve, reject, cleanup: noop, solo: false };
        if (open) {
          open.entries.push(entry);
          open.rows += sub.rows;
          return;
        }
        this.#open = { entries: [entry], rows: sub.rows, shapeKey: undefined };
        this.#inFlight++;
        setImmediate(this.#startOpen);
      });
    }
    return new Promise<BatchResult>((resolve, reject) => {
      const entry: Entry = { sub, shapeKey: shapeKeyOf(sub.inputs), arrival: performance.now(), resolve, reject, cleanup: () => undefined, solo: false };
      if (sub.signal) {
        const onAbort = (): void => this.#drop(entry, this.#abortError(sub));
        sub.signal.addEventListener('abort', onAbort, { once: true });
        entry.cleanup = () => sub.signal?.removeEventListener('abort', onAbort);
      }
      this.#enqueue(entry, false);
      if (!this.#open) this.#pump(); // else the open batch goes first, then pumps
    });
  }

  /** Whether a request may join the open batch: adaptive batching, same shape, within the batch cap. */
  #joins(open: OpenBatch, sub: BatchSubmission): boolean {
    if (this.#o.policy !== 'adaptive' || open.rows + sub.rows > this.#cap) return false;
    open.shapeKey ??= shapeKeyOf((open.entries[0] as Entry).sub.inputs);
    return shapeKeyOf(sub.inputs) === open.shapeKey;
  }

  /**
   * Starts the open batch (check phase): on the engine's callback path when it can take it now, else through
   * `run` when a slot is still free, else it queues. Then whatever queued behind it may go.
   */
  readonly #startOpen = (): void => {
    const open = this.#open;
    this.#open = undefined;
    if (!open) return; // closed meanwhile: close() failed its requests
    const live = open.entries;
    const inputs = this.#inputsOf(live);
    const started = this.#engine.runSoon?.(this.#o.key, inputs, (err, res) => {
      this.#inFlight--;
      if (err || !res) this.#failed(live, err ?? new InferenceError('ENGINE_FAILURE', 'no result'));
      else this.#settle(live, res, open.rows);
      this.#notifyIfIdle();
    }, true) ?? false;
    if (!started) {
      this.#inFlight--;
      if (this.#engine.idleSlots(this.#o.key) > 0) {
        this.#run(live, inputs);
      } else {
        // Another model's batch took the free slot since this one opened: it waits at the head of the queue,
        // in arrival order, like any batch (the engine holds no hidden queue).
        this.#requeue(live.map((e) => ({ ...e, shapeKey: shapeKeyOf(e.sub.inputs) })));
      }
    }
    if (this.#queue.length > 0) this.#pump();
  };

  /**
   * Refuses a request whose deadline the queue cannot meet, judged from the rows ahead of it and the drain
   * rate measured on this host. Only when something is ahead of it: an idle engine always gets to try.
   */
  #admission(sub: BatchSubmission): InferenceError | undefined {
    if (sub.deadline === undefined) return undefined;
    const slotIdle = this.#engine.idleSlots(this.#o.key) > 0;
    if (this.#queuedRows === 0 && slotIdle) return undefined;
    const queuedMs = this.#rate.waitMs(this.#queuedRows, sub.rows);
    if (queuedMs === undefined) return undefined;
    // With every slot busy, the rows ahead can only start when a running batch ends: on a host where one batch
    // takes a large share of the deadline (lead-intent's 64-row calls: 0.3-0.6 s on an AVX2-only CPU against a
    // 1 s deadline) the drain rate alone admitted calls that then missed it.
    const waitMs = queuedMs + (slotIdle ? 0 : this.#rate.computeMs(Math.max(sub.rows, this.#cap)));
    const leftMs = sub.deadline - Date.now();
    if (waitMs * ADMISSION_MARGIN <= leftMs) return undefined;
    metrics.dropped.inc({ model: this.#o.model, reason: 'overloaded' });
    const rate = Math.round(this.#rate.drainRowsPerSecond);
    return new InferenceError('OVERLOADED', `${this.#o.key} cannot answer before the deadline: ${this.#queuedRows} rows are queued ahead${rate > 0 ? ` and it drains about ${rate} rows/s` : ''}, an estimated ${Math.round(waitMs)} ms, but the deadline is ${Math.max(0, Math.round(leftMs))} ms away; retry later or on another replica`);
  }

  #enqueue(entry: Entry, atHead: boolean): void {
    if (this.#queue.length === 0) this.#handle.activated();
    if (atHead) this.#queue.unshift(entry); else this.#queue.push(entry);
    this.#queuedRows += entry.sub.rows;
    metrics.queueDepth.inc({ model: this.#o.model }, entry.sub.rows);
  }

  /** Puts entries back at the head of the queue, in their order. */
  #requeue(entries: readonly Entry[]): void {
    for (let i = entries.length - 1; i >= 0; i--) this.#enqueue(entries[i] as Entry, true);
  }

  #abortError(sub: BatchSubmission): InferenceError {
    if (expired(sub, Date.now() + DEADLINE_SLACK_MS)) {
      return new InferenceError('DEADLINE_EXCEEDED', `deadline passed while queued for ${this.#o.key}; the request was not run`);
    }
    return new InferenceError('CANCELLED', `request cancelled while queued for ${this.#o.key}; it was not run`);
  }

  /** Removes a queued entry and fails it (a running one is left alone: its rows are already being computed). */
  #drop(entry: Entry, err: InferenceError): void {
    const i = this.#queue.indexOf(entry);
    if (i < 0) return;
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
    while (this.#queue.length > 0 && this.#engine.idleSlots(this.#o.key) > 0) {
      const head = this.#queue[0] as Entry;
      if (head.solo || this.#closed || this.#o.policy === 'off') {
        this.#dispatch(head.solo || this.#o.policy === 'off' ? [this.#queue.shift() as Entry] : this.#take());
        continue;
      }
      if (this.#o.policy === 'window') {
        const full = this.#rowsReady(head.shapeKey, this.#cap) >= this.#cap;
        if (!full && now - head.arrival < this.#o.maxQueueDelayMs) break;
      }
      this.#dispatch(this.#take());
    }
    this.#armTimer(now);
  }

  /** Rows of the given shape waiting, capped at the first entry that would overflow a batch of `limit` rows. */
  #rowsReady(shapeKey: string, limit = this.#o.maxBatchSize): number {
    let rows = 0;
    for (const e of this.#queue) {
      if (e.shapeKey !== shapeKey || e.solo) continue;
      if (rows + e.sub.rows > limit) return limit;
      rows += e.sub.rows;
    }
    return rows;
  }

  /**
   * Removes the head and every later entry of the same shape that fits into one batch of at most the batch cap
   * (the head always goes, whatever its size), stopping at the largest preferred size the waiting rows reach.
   */
  #take(): Entry[] {
    const head = this.#queue[0] as Entry;
    const limit = Math.max(head.sub.rows, this.#batchLimit(head.shapeKey));
    const picked: Entry[] = [];
    let rows = 0;
    for (let i = 0; i < this.#queue.length;) {
      const e = this.#queue[i] as Entry;
      if (e.shapeKey === head.shapeKey && !e.solo && rows + e.sub.rows <= limit) {
        picked.push(e);
        rows += e.sub.rows;
        this.#queue.splice(i, 1);
      } else {
        i++;
      }
      if (rows === limit) break;
    }
    return picked;
  }

  /** Rows the next batch of this shape may take: the cap, lowered to the largest preferred size that is reachable. */
  #batchLimit(shapeKey: string): number {
    const cap = this.#cap;
    const preferred = this.#o.preferredBatchSizes ?? [];
    if (preferred.length === 0) return cap;
    const waiting = this.#rowsReady(shapeKey, cap);
    const reachable = preferred.filter((p) => p <= waiting && p <= cap);
    return reachable.length > 0 ? Math.max(...reachable) : cap;
  }

  #armTimer(now: number): void {
    const head = this.#queue[0];
    // Only the fixed window waits on a clock; every other wait ends when a slot frees (the scheduler wakes us).
    if (!head || this.#o.policy !== 'window' || now - head.arrival >= this.#o.maxQueueDelayMs) {
      if (this.#timer) { clearTimeout(this.#timer); this.#timer = undefined; }
      return;
    }
    const due = head.arrival + this.#o.maxQueueDelayMs;
    if (this.#timer && this.#timerDue === due) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = setTimeout(() => { this.#timer = undefined; this.#pump(); }, Math.max(0, due - now));
  }

  /**
   * Takes entries out of the queue and starts them as one batch. An entry that was cancelled, or whose
   * deadline would pass before this batch is expected to finish, is failed here and never computed.
   */
  #dispatch(entries: Entry[]): void {
    const now = Date.now();
    const finishAt = this.#finishAt(now, entries.reduce((s, e) => s + e.sub.rows, 0));
    const live: Entry[] = [];
    for (const e of entries) {
      this.#queuedRows -= e.sub.rows;
      metrics.queueDepth.dec({ model: this.#o.model }, e.sub.rows);
      const cancelled = e.sub.signal?.aborted === true && !expired(e.sub, now + DEADLINE_SLACK_MS);
      if (cancelled || expired(e.sub, finishAt)) {
        metrics.dropped.inc({ model: this.#o.model, reason: cancelled ? 'cancelled' : 'deadline' });
        e.cleanup();
        e.reject(cancelled ? this.#abortError(e.sub) : this.#wouldMissError());
      } else {
        live.push(e);
      }
    }
    if (live.length === 0) { this.#notifyIfIdle(); return; }
    this.#run(live);
  }

  /**
   * When a batch of `rows` started at `now` is expected to have answered: with a margin, because a batch runs
   * longer than its average when the cores are contended, and its answer still has to cross back.
   */
  #finishAt(now: number, rows: number): number {
    return now + DISPATCH_MARGIN * this.#rate.computeMs(rows) + DISPATCH_SLACK_MS;
  }

  #wouldMissError(): InferenceError {
    return new InferenceError('DEADLINE_EXCEEDED', `the deadline would pass before a batch of ${this.#o.key} could finish; the request was not run`);
  }

  /**
   * Runs entries as one engine batch and splits the result back. When a merged batch fails in the engine,
   * its requests go back to the head of this queue marked solo and are re-run one by one (still through
   * the queue, so deadlines, cancellation and the slot rule keep applying): only the request that causes
   * the failure gets the error, and the others in its batch still get answers.
   */
  #run(live: Entry[], batchInputs: NamedTensors = this.#inputsOf(live)): void {
    const single = live.length === 1;
    const batchRows = single ? (live[0] as Entry).sub.rows : live.reduce((s, e) => s + e.sub.rows, 0);
    this.#inFlight++;
    this.#engine.run(this.#o.key, batchInputs, !single).then(
      (res) => this.#settle(live, res, batchRows),
      (err: Error) => this.#failed(live, err),
    ).finally(() => {
      // No pump here: the freed slot is the scheduler's to give (fair share), via the engine's idle event.
      this.#inFlight--;
      this.#notifyIfIdle();
    });
  }

  /**
   * A batch's inputs: one request runs on its own tensors (the engine copies them if it sends them to a worker);
   * several are concatenated into a fresh buffer the engine may hand over to a worker without another copy.
   */
  #inputsOf(live: readonly Entry[]): NamedTensors {
    const first = (live[0] as Entry).sub.inputs;
    if (live.length === 1) return first;
    const merged: Record<string, HostTensor> = {};
    for (const n of Object.keys(first)) merged[n] = concatRows(live.map((e) => e.sub.inputs[n] as HostTensor), true);
    return merged;
  }

  /** Answers every request of a finished batch with its own rows. */
  #settle(live: readonly Entry[], res: EngineRunResult, batchRows: number): void {
    const doneAt = performance.now();
    this.#record(batchRows, res, doneAt);
    const wallNow = Date.now();
    const single = live.length === 1;
    let row = 0;
    for (const e of live) {
      e.cleanup();
      let share: BatchResult;
      try {
        share = this.#share(res, batchRows, row, e.sub.rows, single, e.arrival, doneAt);
      } catch (err) {
        e.reject(err as Error);
        continue;
      } finally {
        row += e.sub.rows;
      }
      this.#countIfWasted(e.sub, wallNow);
      e.resolve(share);
    }
  }

  /**
   * A batch failed. A merged batch that failed in the engine goes back to the head of the queue, its requests
   * marked solo, to be re-run one by one: only the request that causes the failure gets the error.
   */
  #failed(live: readonly Entry[], err: Error): void {
    if (live.length > 1 && isInferenceError(err, 'ENGINE_FAILURE')) {
      for (const e of live) e.solo = true;
      this.#requeue(live);
      this.#pump();
      return;
    }
    for (const e of live) { e.cleanup(); e.reject(err); }
  }

  /** Counts a finished batch: the drain rate, the fair-share charge and the batch metrics. */
  #record(batchRows: number, res: EngineRunResult, doneAt: number): void {
    const m = this.#metrics;
    this.#rate.recordBatch(batchRows, res.computeUs / 1000, doneAt, this.#queuedRows > 0);
    this.#handle.charge(res.computeUs / 1000);
    m.executions.inc();
    m.inferenceRows.inc(batchRows);
    m.batchSize.observe(batchRows);
    m.computeDuration.observe(res.computeUs / 1e6);
  }

  /**
   * One request's rows [row, row+rows) of a batch result (the whole outputs when it ran alone), with its queue
   * time: from its arrival to the batch's end (`doneAt`, performance.now()), less the compute.
   */
  #share(res: EngineRunResult, batchRows: number, row: number, rows: number, alone: boolean, arrival: number, doneAt: number): BatchResult {
    const queueUs = Math.max(0, Math.round((doneAt - arrival) * 1000) - res.computeUs);
    const outputs: Record<string, HostTensor> = {};
    for (const name in res.outputs) {
      const t = res.outputs[name] as HostTensor;
      if (t.shape[0] !== batchRows) throw new InferenceError('ENGINE_FAILURE', `output ${name} has ${t.shape[0]} rows for a batch of ${batchRows}`);
      outputs[name] = alone ? t : sliceRows(t, row, rows);
    }
    this.#metrics.queueDuration.observe(queueUs / 1e6);
    return { outputs, queueUs, computeUs: res.computeUs, batchSize: batchRows };
  }

  /** Rows nobody will read: the caller left while they ran (`now`: Date.now()). Admission keeps this at zero under overload. */
  #countIfWasted(sub: BatchSubmission, now: number): void {
    if (sub.signal?.aborted || expired(sub, now)) metrics.wastedRows.inc({ model: this.#o.model }, sub.rows);
  }

  #notifyIfIdle(): void {
    if (this.#queue.length === 0) this.#handle.deactivated();
    if (this.#queue.length === 0 && this.#inFlight === 0 && this.#idleWaiters.length > 0) {
      for (const w of this.#idleWaiters.splice(0)) w();
    }
  }

  /** Dispatches everything queued (as slots free) and resolves when nothing is queued or running (graceful shutdown). */
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
    if (this.#open) {
      for (const e of this.#open.entries) e.reject(err);
      this.#open = undefined;
      this.#inFlight--;
    }
    metrics.queueDepth.dec({ model: this.#o.model }, this.#queuedRows);
    this.#queuedRows = 0;
    this.#handle.unregister();
    this.#notifyIfIdle();
  }
}
