/**
 * A pool of ONNX Runtime worker threads. Every worker holds a session for every loaded variant; a batch
 * runs on any idle worker, FIFO when all are busy. A crashed worker is replaced (and its variants
 * reloaded); the batch it was running fails with WORKER_CRASHED instead of hanging. Beside the workers: tiny
 * variants run on the main thread (placeOnMainThread), and a lone batch that finds the engine idle may run on
 * every core, in worker 0 (the wide session) or, when short, on the main thread (placeIdleOnMainThread).
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { InferenceError } from '../errors/index.js';
import { moduleLogger } from '../logging/logger.js';
import { metrics } from '../metrics/metrics.js';
import { rowsOf, type DType, type HostTensor, type NamedTensors } from '../tensor/tensor.js';
import type { EngineRunResult, LoadedVariantInfo, ModelEngine, VariantLoadSpec } from './inference-engine.js';
import type { FromWorker, ToWorker, TransferTensor, WorkerSessionOptions } from './worker-protocol.js';
import { MainThreadRunner, recentRowsAfter } from './main-thread-runner.js';
import { IdleSpinner } from './idle-spinner.js';
import { IdTable } from '../util/id-table.js';

const log = moduleLogger('engine');

/** What a caller hears when ONNX Runtime failed a batch: ORT's message names graph nodes and paths, so it goes to the log only. */
function engineFailure(key: string): InferenceError {
  return new InferenceError('ENGINE_FAILURE', `the engine failed to run this batch of ${key}; the inputs passed validation, so this is a server-side fault (details are in the server log)`);
}

/** Pool settings. */
export interface WorkerPoolOptions {
  readonly workers: number;
  readonly session: WorkerSessionOptions;
  /**
   * Intra-op threads of a second, "wide" session per variant in worker 0, used for a batch that finds every
   * worker idle: it borrows the idle workers' cores (they take no work while it runs), so a lone request at
   * low load runs on all of them. Under load batches meet busy workers and use the one-thread sessions.
   * 0 or 1 disables.
   */
  readonly idleIntraOpThreads?: number;
  /**
   * Microseconds a lone main-thread batch on an idle engine keeps another core awake (idle-spinner.ts); 0
   * (the default here) disables.
   */
  readonly idleSpinUs?: number;
  /**
   * A variant the profile measured on all cores within 10% of one thread also gets a main-thread session with
   * idleIntraOpThreads threads, for lone batches whose all-core run measured within this many microseconds
   * (placeIdleOnMainThread). 0 (the default here) disables.
   */
  readonly idleMainMaxUs?: number;
}

/**
 * A main-thread batch counts as a lone request's, for the idle spinner, when it has at most this many rows and
 * the variant's recent batches averaged under LONE_MAX_RECENT_ROWS rows (MainThreadRunner.recentRows):
 * requests arriving alone. Under load they meet in the batcher (lead-scoring at 128 callers: ~22 rows a batch),
 * and a small batch between two large ones does not start the spinner, which would take the core the load
 * needs.
 */
const LONE_MAX_ROWS = 8;
const LONE_MAX_RECENT_ROWS = 2;

/**
 * A lone batch runs on the main thread on every core (placeIdleOnMainThread) only when no other variant started a
 * batch within this many ms: the event loop it blocks is serving nobody else. In the mixed workload the tiny
 * models run on the main thread every few ms between lead-intent's batches, and lead-intent's runs there took
 * that time from them (one A/B pair at 128 callers: 5,534 and 5,931 calls/s against 5,384 and 6,908 without).
 */
const IDLE_MAIN_QUIET_MS = 10;

/** Key suffix of a variant's wide session. */
const WIDE = '#wide';
interface Job {
  readonly key: string;
  readonly inputs: TransferTensor[];
  readonly workerIndex: number | undefined;
  readonly resolve: (r: EngineRunResult) => void;
  readonly reject: (e: Error) => void;
}

interface Pending {
  readonly resolve: (m: FromWorker) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker;
  ready: boolean;
  busy: Job | undefined;
  /** By message id; an IdTable, not a Map: a batch's entry churns at the call rate (src/util/id-table.ts). */
  readonly pending: IdTable<Pending>;
}

function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.replace(/worker-pool\.[cm]?[jt]s$/, 'ort-worker.js');
  if (existsSync(js)) return js;
  // Running from TypeScript sources (tests): use the compiled worker that `npm run build` produced.
  const compiled = path.resolve(path.dirname(here), '../../dist/src/engine/ort-worker.js');
  if (existsSync(compiled)) return compiled;
  throw new Error(`engine worker script not found (${js}); run "npm run build"`);
}

/**
 * Wire form of a tensor. A buffer the caller hands over (`owned`) and that the view covers whole moves to the
 * worker without a copy (transfer list); anything else is copied once (memcpy), never element by element.
 */
function toTransfer(name: string, t: HostTensor, owned: boolean): { tensor: TransferTensor; transfer: ArrayBuffer } {
  let bytes = t.data;
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  if (!owned || !whole) bytes = new Uint8Array(bytes);
  const buffer = bytes.buffer as ArrayBuffer;
  return { tensor: { name, dtype: t.dtype, shape: [...t.shape], buffer, byteOffset: 0, byteLength: bytes.byteLength }, transfer: buffer };
}

/** The ONNX Runtime engine: a worker-thread pool implementing InferenceEngine. */
export class WorkerPool implements ModelEngine {
  readonly #options: WorkerPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #variants = new Map<string, VariantLoadSpec>();
  readonly #idleListeners = new Set<() => void>();
  #nextId = 1;
  #closed = false;
  #fallbackLogged = false;
  readonly #script: string;
  /** Main-thread sessions; a lone batch may run in the idle spinner's lane instead (warm caches, see idle-spinner.ts). */
  readonly #main = new MainThreadRunner((key, inputs) => this.#spinner?.tryRun(key, inputs));
  /** Variants with a wide session in worker 0. */
  readonly #wide = new Set<string>();
  /** Batch sizes (rows) at which the profile measured the wide session faster, per variant (useWideAt). */
  readonly #wideSizes = new Map<string, { readonly sizes: readonly number[]; readonly helps: ReadonlySet<number> }>();
  /** True while a wide run has borrowed every worker. */
  #lent = false;
  readonly #spinner: IdleSpinner | undefined;
  /** Main-thread all-core sessions for lone batches on an idle engine (placeIdleOnMainThread). */
  readonly #idleMain = new MainThreadRunner(undefined, false);
  /** The most rows of a batch the variant's main-thread all-core session serves. */
  readonly #idleMainRows = new Map<string, number>();
  /** Batches run on an idle-main session (tests). */
  #idleMainRuns = 0;
  /** When each variant last started a batch (performance.now()), for the idle-main quiet test. */
  readonly #lastStart = new Map<string, number>();
  /** Moving average of the rows of each worker variant's recent batches (weight 1/5 on the newest), as MainThreadRunner.recentRows. */
  readonly #recentRows = new Map<string, number>();

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#script = workerScript();
    this.#spinner = (options.idleSpinUs ?? 0) > 0 && options.session.provider === 'cpu' ? new IdleSpinner(options.idleSpinUs as number) : undefined;
    for (let i = 0; i < options.workers; i++) this.#slots.push(this.#spawn(i));
    metrics.workers.set(this.#slots.length);
  }

  /** Number of worker threads. */
  get size(): number {
    return this.#slots.length;
  }

  #spawn(index: number): Slot {
    const worker = new Worker(this.#script);
    const slot: Slot = { index, worker, ready: true, busy: undefined, pending: new IdTable<Pending>() };
    worker.on('message', (msg: FromWorker) => this.#onMessage(slot, msg));
    worker.on('error', (err) => this.#onCrash(slot, err));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#onCrash(slot, new Error(`worker exited with code ${code}`));
    });
    return slot;
  }

  #onMessage(slot: Slot, msg: FromWorker): void {
    const pending = slot.pending.get(msg.id);
    if (!pending) return;
    slot.pending.delete(msg.id);
    pending.resolve(msg);
  }

  #onCrash(slot: Slot, err: Error): void {
    if (this.#slots[slot.index] !== slot) return; // already replaced
    log.error({ worker: slot.index, err: err.message }, 'engine worker crashed; replacing it');
    metrics.workerRestarts.inc();
    const crash = new InferenceError('WORKER_CRASHED', `the engine worker running this batch crashed (${err.message}); it was replaced, retry the request`);
    for (const p of slot.pending.values()) p.reject(crash);
    slot.pending.clear();
    slot.busy = undefined;
    const fresh = this.#spawn(slot.index);
    fresh.ready = false;
    this.#slots[slot.index] = fresh;
    void this.#reloadInto(fresh).then(
      () => { fresh.ready = true; this.#startQueued(); },
      (e: Error) => log.error({ worker: fresh.index, err: e.message }, 'replacement worker failed to load variants'),
    );
  }

  async #reloadInto(slot: Slot): Promise<void> {
    for (const spec of this.#variants.values()) await this.#loadInto(slot, spec);
    if (slot.index !== 0) return;
    for (const key of this.#wide) {
      const spec = this.#variants.get(key);
      if (spec) await this.#loadInto(slot, { ...spec, key: key + WIDE }, this.#options.idleIntraOpThreads);
    }
  }

  #send(slot: Slot, msg: Exclude<ToWorker, { type: 'exit' }>, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      slot.pending.set(msg.id, { resolve, reject });
      slot.worker.postMessage(msg, transfer);
    });
  }

  /** The session settings of a variant: the pool's, with the variant's left-out optimizers and a thread count. */
  #settingsOf(spec: VariantLoadSpec, intraOpThreads?: number): WorkerSessionOptions {
    const s = intraOpThreads === undefined ? this.#options.session : { ...this.#options.session, intraOpThreads };
    return spec.disabledOptimizers?.length ? { ...s, disabledOptimizers: spec.disabledOptimizers } : s;
  }

  async #loadInto(slot: Slot, spec: VariantLoadSpec, intraOpThreads?: number): Promise<LoadedVariantInfo> {
    const options = this.#settingsOf(spec, intraOpThreads);
    const reply = await this.#send(slot, { type: 'load', id: this.#nextId++, key: spec.key, modelPath: spec.modelPath, options });
    if (reply.type === 'error') throw new Error(reply.message);
    if (reply.type !== 'loaded') throw new Error(`unexpected reply ${reply.type} to load`);
    if (reply.fallbackReason && !this.#fallbackLogged) {
      this.#fallbackLogged = true;
      log.warn({ reason: reply.fallbackReason }, 'CUDA execution provider unavailable; falling back to CPU');
    }
    return { key: reply.key, provider: reply.provider, inputs: reply.inputs, outputs: reply.outputs };
  }

  /** Loads a variant into every worker; resolves with what the first worker reported. */
  async load(spec: VariantLoadSpec): Promise<LoadedVariantInfo> {
    if (this.#closed) throw new InferenceError('SHUTTING_DOWN', 'engine is closed');
    this.#variants.set(spec.key, spec);
    try {
      const infos = await Promise.all(this.#slots.map((s) => this.#loadInto(s, spec)));
      await this.#loadWide(spec);
      return infos[0] as LoadedVariantInfo;
    } catch (e) {
      this.#variants.delete(spec.key);
      await this.unload(spec.key).catch(() => undefined);
      throw e;
    }
  }

  /** Adds the wide session of a variant to worker 0 (see idleIntraOpThreads); a failure only logs. */
  async #loadWide(spec: VariantLoadSpec): Promise<void> {
    const threads = this.#options.idleIntraOpThreads ?? 0;
    const slot = this.#slots[0];
    if (threads <= 1 || this.#slots.length < 2 || !slot || this.#options.session.provider !== 'cpu') return;
    try {
      await this.#loadInto(slot, { ...spec, key: spec.key + WIDE }, threads);
      this.#wide.add(spec.key);
    } catch (e) {
      log.warn({ variant: spec.key, err: (e as Error).message }, 'no wide session for idle-time runs; the variant runs on one thread per batch');
    }
  }

  /** Releases a variant's sessions in every worker. */
  async unload(key: string): Promise<void> {
    this.#wideSizes.delete(key);
    this.#idleMainRows.delete(key);
    this.#lastStart.delete(key);
    this.#recentRows.delete(key);
    await this.#idleMain.unload(key);
    if (this.#wide.delete(key) && this.#slots[0]) await this.#send(this.#slots[0], { type: 'unload', id: this.#nextId++, key: key + WIDE }).catch(() => undefined);
    this.#variants.delete(key);
    this.#spinner?.unload(key);
    await this.#main.unload(key);
    await Promise.all(this.#slots.map((s) => this.#send(s, { type: 'unload', id: this.#nextId++, key }).catch(() => undefined)));
  }

  /** Logs ONNX Runtime's own message of a failed main-thread batch; the caller hears engineFailure. */
  #mainThreadFailure(key: string, e: Error): InferenceError {
    log.error({ variant: key, err: e.message }, 'ONNX Runtime failed to run a batch on the main thread');
    return engineFailure(key);
  }

  runSoon(key: string, inputs: NamedTensors, done: (err: Error | undefined, res?: EngineRunResult) => void, now = false): boolean {
    if (!this.#main.has(key)) return this.#runIdleMainSoon(key, inputs, done, now);
    if (this.#main.busy) return false;
    this.#lastStart.set(key, performance.now());
    const spin = this.spinsFor(key, rowsOf(inputs));
    const started = this.#main.runSoon(key, inputs, (err, res) => {
      try {
        done(err ? this.#mainThreadFailure(key, err) : undefined, res);
      } finally {
        this.#notifyIdle();
      }
    }, spin, now);
    if (started && spin) this.#spinner?.poke();
    return started;
  }

  /**
   * runSoon for a worker variant: a lone batch that `run` would put on the main-thread all-core session runs
   * there through `done`, without the promise hops of `run` (at one lead-intent caller those are ~1% of a call).
   * False, and nothing changes, when it would not; `run` then decides as always.
   */
  #runIdleMainSoon(key: string, inputs: NamedTensors, done: (err: Error | undefined, res?: EngineRunResult) => void, now: boolean): boolean {
    if (!this.#idleMainRows.has(key) || !this.#idleMain.canRunSoon(key)) return false;
    const rows = rowsOf(inputs);
    const recent = recentRowsAfter(this.#recentRows.get(key), rows);
    if (!this.#idleMainServes(key, rows, recent) || !this.#allIdle()) return false;
    // Lent before it starts: with `now` it has run, and given the workers back, by the time runSoon returns.
    this.#lastStart.set(key, performance.now());
    this.#recentRows.set(key, recent);
    this.#lent = true;
    this.#idleMainRuns++;
    return this.#idleMain.runSoon(key, inputs, (err, res) => {
      this.#giveBack();
      done(err ? this.#mainThreadFailure(key, err) : undefined, res);
    }, false, now);
  }

  /** Lone main-thread batches that ran in the idle spinner's lane (tests). */
  get laneRuns(): number {
    return this.#spinner?.laneRuns ?? 0;
  }

  /** Times the idle spinner went from sleep to spinning (tests). */
  get idleSpins(): number {
    return this.#spinner?.periods ?? 0;
  }

  /** Whether a main-thread batch of `rows` rows of this variant would keep a core awake if it started now. */
  spinsFor(key: string, rows: number): boolean {
    return this.#spinner !== undefined && this.#main.has(key) && rows <= LONE_MAX_ROWS && this.#main.recentRows(key) < LONE_MAX_RECENT_ROWS && this.#allIdle();
  }

  run(key: string, inputs: NamedTensors, transferInputs = false): Promise<EngineRunResult> {
    this.#lastStart.set(key, performance.now());
    if (this.#idleMainRows.has(key)) this.#recentRows.set(key, recentRowsAfter(this.#recentRows.get(key), rowsOf(inputs)));
    if (this.#main.has(key) && !this.#main.busy) {
      const spin = this.spinsFor(key, rowsOf(inputs));
      const running = this.#main.run(key, inputs, spin);
      if (spin) this.#spinner?.poke();
      return running.then((r) => {
        this.#notifyIdle();
        return r;
      }, (e: Error) => {
        this.#notifyIdle();
        throw this.#mainThreadFailure(key, e);
      });
    }
    if (this.#idleMainServes(key, rowsOf(inputs)) && this.#allIdle()) {
      // Every worker is idle, requests arrive alone and nothing else ran for a while, and the batch is short: run
      // it here on every core, as a plain server would,
      // without the two thread hops a worker costs (~0.2 ms each on this VM, 10% of a lead-intent call).
      // The workers are lent meanwhile (a batch that arrives before the run starts waits for it).
      this.#lent = true;
      this.#idleMainRuns++;
      return this.#idleMain.run(key, inputs).then((r) => { this.#giveBack(); return r; }, (e: Error) => {
        this.#giveBack();
        throw this.#mainThreadFailure(key, e);
      });
    }
    if (this.#wide.has(key) && this.#allIdle() && this.#wideHelps(key, rowsOf(inputs))) {
      // Every worker is idle: borrow their cores for this batch (none starts work until it is done).
      this.#lent = true;
      // The cores are given back before the caller hears the answer (so it sees the pool idle again).
      return this.#enqueue(key + WIDE, inputs, 0, transferInputs).then((r) => { this.#giveBack(); return r; }, (e: unknown) => { this.#giveBack(); throw e; });
    }
    return this.#enqueue(key, inputs, undefined, transferInputs);
  }

  /** Ends a run that borrowed every worker: queued work starts, and idle listeners hear it (before its caller does). */
  #giveBack(): void {
    this.#lent = false;
    this.#startQueued();
    this.#notifyIdle();
  }

  /** Whether the profile measured the wide session faster at the largest profiled size not above `rows`. */
  #wideHelps(key: string, rows: number): boolean {
    const w = this.#wideSizes.get(key);
    if (!w || w.sizes.length === 0) return false;
    const size = w.sizes.filter((b) => b <= rows).at(-1) ?? (w.sizes[0] as number);
    return w.helps.has(size);
  }

  /**
   * Tells the pool at which profiled batch sizes the variant's wide session was faster (model-profile.ts
   * decides; `sizes` are all the sizes it measured). A lone batch that finds every worker idle then uses it.
   */
  useWideAt(key: string, sizes: readonly number[], helps: readonly number[]): void {
    if (!this.#wide.has(key)) return;
    this.#wideSizes.set(key, { sizes: [...sizes].sort((a, b) => a - b), helps: new Set(helps) });
  }

  /**
   * Gives a variant a main-thread session with idleIntraOpThreads threads for lone batches of up to `maxRows`
   * rows on an idle engine (the profile measured its all-core run at those sizes within idleMainMaxUs and within
   * 10% of one thread), used while requests arrive alone and no other variant ran a batch in the last 10 ms. Resolves false, and nothing changes, when that is off (idleMainMaxUs 0, one
   * core, not CPU) or the session could not be created.
   */
  async placeIdleOnMainThread(key: string, maxRows: number): Promise<boolean> {
    const spec = this.#variants.get(key);
    const threads = this.#options.idleIntraOpThreads ?? 0;
    if (!spec || maxRows < 1 || (this.#options.idleMainMaxUs ?? 0) <= 0 || threads <= 1 || this.#options.session.provider !== 'cpu') return false;
    try {
      await this.#idleMain.load(key, spec.modelPath, this.#settingsOf(spec), threads);
    } catch (e) {
      log.warn({ variant: key, err: (e as Error).message }, 'could not create a main-thread session for lone batches; they stay on the workers');
      return false;
    }
    if (!this.#variants.has(key)) { await this.#idleMain.unload(key); return false; }
    this.#idleMainRows.set(key, maxRows);
    return true;
  }

  /** Whether a batch of `rows` rows of the variant runs on its main-thread all-core session when the engine is idle. */
  #idleMainServes(key: string, rows: number, recent = this.#recentRows.get(key) ?? 1): boolean {
    return rows <= (this.#idleMainRows.get(key) ?? 0) && !this.#closed && this.#idleMain.has(key) && !this.#idleMain.busy && !this.#main.busy
      && recent < LONE_MAX_RECENT_ROWS && this.#quietBesides(key);
  }

  /** Whether no other variant started a batch within IDLE_MAIN_QUIET_MS. */
  #quietBesides(key: string): boolean {
    const now = performance.now();
    for (const [k, at] of this.#lastStart) if (k !== key && now - at < IDLE_MAIN_QUIET_MS) return false;
    return true;
  }

  /** Batches that ran on a main-thread all-core session (tests). */
  get idleMainRuns(): number {
    return this.#idleMainRuns;
  }

  /** Whether the variant has a wide session to profile (worker 0, idleIntraOpThreads). */
  hasWide(key: string): boolean {
    return this.#wide.has(key);
  }

  /**
   * Moves a CPU variant's batches to the main thread (the profile found every useful batch tiny). Resolves
   * false when it cannot (not CPU, or the session could not be created; the variant stays on the workers).
   */
  async placeOnMainThread(key: string): Promise<boolean> {
    const spec = this.#variants.get(key);
    if (!spec || this.#options.session.provider !== 'cpu') return false;
    try {
      await this.#main.load(key, spec.modelPath, this.#settingsOf(spec));
    } catch (e) {
      log.warn({ variant: key, err: (e as Error).message }, 'could not create a main-thread session; the variant stays on the workers');
      return false;
    }
    // Its lone batches may also run in the spinner's lane (a failure there only logs: they run here).
    await this.#spinner?.load(key, spec.modelPath, this.#settingsOf(spec));
    if (!this.#variants.has(key)) { await this.#main.unload(key); this.#spinner?.unload(key); return false; }
    return true;
  }

  #allIdle(): boolean {
    return !this.#lent && this.#queue.length === 0 && this.#slots.every((s) => s.ready && !s.busy);
  }

  /**
   * Where a variant's batches run now: `main-thread`, `workers`, or `workers, wide when idle` when warm-up
   * measured its wide session faster at some batch size; `, main thread when idle` added when its lone batches
   * run on a main-thread all-core session (placeIdleOnMainThread).
   */
  dispatchPath(key: string): string {
    if (this.#main.has(key)) return 'main-thread';
    const w = this.#wideSizes.get(key);
    const sizes = w ? w.sizes.filter((b) => w.helps.has(b)) : [];
    const mainRows = this.#idleMainRows.get(key);
    const idleMain = mainRows !== undefined ? `, main thread when idle (batches of up to ${mainRows} row${mainRows === 1 ? "" : "s"})` : '';
    return (sizes.length > 0 ? `workers, wide when idle (batches of ${sizes.join('/')} rows)` : 'workers') + idleMain;
  }

  /** Whether a lone batch of `rows` rows of this variant would run on the wide session (tests, metadata). */
  usesWideWhenIdle(key: string, rows: number): boolean {
    return this.#wide.has(key) && this.#wideHelps(key, rows);
  }

  /**
   * Runs on one specific worker (warm-up must touch every worker's session); `wide` runs worker 0's wide
   * session instead (the profile times both).
   */
  runOn(workerIndex: number, key: string, inputs: NamedTensors, wide = false): Promise<EngineRunResult> {
    if (wide) return this.#wide.has(key) ? this.#enqueue(key + WIDE, inputs, 0, false) : Promise.reject(new Error(`${key} has no wide session`));
    return this.#enqueue(key, inputs, workerIndex, false);
  }

  #enqueue(key: string, inputs: NamedTensors, workerIndex: number | undefined, owned: boolean): Promise<EngineRunResult> {
    if (this.#closed) return Promise.reject(new InferenceError('SHUTTING_DOWN', 'engine is closed'));
    const tensors: TransferTensor[] = [];
    for (const [name, t] of Object.entries(inputs)) tensors.push(toTransfer(name, t, owned).tensor);
    return new Promise<EngineRunResult>((resolve, reject) => {
      this.#queue.push({ key, inputs: tensors, workerIndex, resolve, reject });
      this.#startQueued();
    });
  }

  /** Starts queued jobs on idle workers. */
  #startQueued(): void {
    for (const slot of this.#slots) {
      if (!slot.ready || slot.busy) continue;
      // While a wide run borrows every core, only jobs pinned to a worker (warm-up) may start.
      const i = this.#queue.findIndex((j) => (j.workerIndex === undefined && !this.#lent) || j.workerIndex === slot.index);
      if (i < 0) continue;
      const [job] = this.#queue.splice(i, 1) as [Job];
      this.#start(slot, job);
    }
  }

  #start(slot: Slot, job: Job): void {
    slot.busy = job;
    const id = this.#nextId++;
    this.#send(slot, { type: 'run', id, key: job.key, inputs: job.inputs }, job.inputs.map((w) => w.buffer)).then(
      (reply) => {
        if (reply.type === 'result') {
          const outputs: Record<string, HostTensor> = {};
          for (const o of reply.outputs) {
            outputs[o.name] = { dtype: o.dtype as DType, shape: o.shape, data: new Uint8Array(o.buffer, o.byteOffset, o.byteLength) };
          }
          job.resolve({ outputs, computeUs: reply.computeUs });
        } else if (reply.type === 'error') {
          // ONNX Runtime's message names graph nodes and file paths: it goes to the log, never to a caller.
          log.error({ variant: job.key, err: reply.message }, 'ONNX Runtime failed to run a batch');
          job.reject(engineFailure(job.key.replace(WIDE, '')));
        } else {
          job.reject(new InferenceError('ENGINE_FAILURE', `unexpected worker reply ${reply.type}`));
        }
      },
      (e: Error) => job.reject(e),
    ).finally(() => {
      if (slot.busy === job) slot.busy = undefined;
      this.#startQueued();
      this.#notifyIdle();
    });
  }

  #notifyIdle(): void {
    // Every listener checks the slots of its own variant: a main-thread slot may be free while workers are not.
    // One that throws (a bug) is logged: the others still hear, and nothing escapes into the event loop.
    for (const l of this.#idleListeners) {
      try {
        l();
      } catch (e) {
        log.error({ err: (e as Error).message }, 'an idle listener threw; the engine keeps serving');
      }
    }
  }

  capacity(key: string): number {
    return this.#main.has(key) ? 1 : this.#slots.filter((s) => s.ready).length;
  }

  idleSlots(key?: string): number {
    if (key !== undefined && this.#main.has(key)) return this.#main.busy ? 0 : 1;
    if (this.#lent) return 0;
    let idle = 0;
    for (const s of this.#slots) if (s.ready && !s.busy) idle++;
    return Math.max(0, idle - this.#queue.length);
  }

  onIdle(listener: () => void): () => void {
    this.#idleListeners.add(listener);
    return () => this.#idleListeners.delete(listener);
  }

  /** Makes one worker exit abnormally, as a crash would (crash drills and tests). */
  killWorker(index: number): void {
    this.#slots[index]?.worker.postMessage({ type: 'exit', code: 70 } satisfies ToWorker);
  }

  /** Asks a worker to exit between runs; terminates it only if it does not within a bound. */
  async #stopWorker(slot: Slot): Promise<void> {
    const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
    slot.worker.postMessage({ type: 'exit', code: 0 } satisfies ToWorker);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), 10_000); });
    const outcome = await Promise.race([exited.then(() => 'exited' as const), timeout]);
    if (timer) clearTimeout(timer);
    if (outcome === 'timeout') await slot.worker.terminate();
  }

  /** Fails queued work and stops every worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = new InferenceError('SHUTTING_DOWN', 'engine closed');
    for (const j of this.#queue.splice(0)) j.reject(err);
    await Promise.all([...this.#slots.map((s) => this.#stopWorker(s)), this.#main.close(), this.#idleMain.close(), this.#spinner?.close()]);
    metrics.workers.set(0);
  }
}
