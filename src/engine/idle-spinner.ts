/**
 * Keeps one core awake for a short while after a lone batch at low load (HUB_IDLE_SPIN_US), and runs the next
 * lone batches of tiny main-thread variants on that core while it is awake (the "lane").
 *
 * At one caller the server's main thread sleeps in its event loop between an answer and the next request, and
 * with nothing else to run the machine's other core goes idle too. Waking an idle core costs far more than the
 * work of a tiny-model call on the 2-core VM this project is measured on (a PVM guest: a halted virtual CPU
 * is woken through the host), and the plain server gets that for free from ONNX Runtime: its default session
 * spins an intra-op thread for a while after every run that used it (1.77 cores busy at one lead-scoring
 * caller). Measured here, interleaved turns of one h2load caller, property-valuation: 2,612 calls/s without
 * this, 3,198 with a 2 ms spin, plain server 3,103; an unrelated spinning process at nice 19 sped both
 * servers up as much, so the gain is the core kept awake, not anything the spinner computes.
 *
 * The lane: a lone tiny batch computes three times slower on the main thread (lead-scoring batch 1: 43-50 us
 * in the server against 13-18 us in a loop) because between two calls gRPC, HTTP/2 and V8 evict ONNX Runtime's
 * code and weights from that core's caches. The spinning thread does nothing else, so its caches stay warm: the
 * main thread copies the batch into shared memory, the spinning thread (polling it) runs it on its own session
 * of the variant and copies the outputs back, and the main thread waits for them, spinning, as long as the run
 * takes. Measured here at one lead-scoring caller (interleaved h2load turns): 3,466 calls/s against 2,295 on the
 * main thread, plain server 2,472. A batch goes to the lane only while the thread is already spinning (a sleeping
 * one takes ~0.2 ms to wake, longer than the run) and only when the thread claims it within LANE_CLAIM_US;
 * otherwise the main thread withdraws it and runs it itself, as without the lane.
 *
 * One worker thread, asleep on a futex (Atomics.wait) until poked; a poke sets the time to spin until and
 * wakes it only when it sleeps, so the per-batch cost is a store. It spins in plain JS, looking at the clock only
 * every SPIN_CHECK turns (the clock's double is an allocation), and sleeps again when the time has passed without
 * another poke. The pool pokes it only for a lone batch that finds the whole engine idle, so under load (batches
 * meet busy workers, or are made of several requests) the spinner sleeps and takes no core from the work.
 * Sessions are loaded and released by messages the thread reads between spins (receiveMessageOnPort: its loop
 * never returns to an event loop).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { moduleLogger } from '../logging/logger.js';
import { metrics } from '../metrics/metrics.js';
import type { HotIncrementer } from '../metrics/hot-metrics.js';
import { DTYPES, type DType, type HostTensor, type NamedTensors } from '../tensor/tensor.js';
import type { EngineRunResult } from './inference-engine.js';
import { sessionOptions, type OrtSessionSettings } from './ort-session.js';

const log = moduleLogger('engine');
// Bound once: the lane's outcomes are counted on every lone call. Every outcome's series exists from the start
// at 0, so `increase()` sees a once-per-process given_up.
const WAKES = metrics.idleSpinnerWakes.hot({});
const LANE_OUTCOMES = ['ran', 'failed', 'withdrawn', 'declined', 'given_up'] as const;
const LANE = Object.fromEntries(LANE_OUTCOMES.map((outcome) => {
  metrics.laneBatches.inc({ outcome }, 0);
  return [outcome, metrics.laneBatches.hot({ outcome })];
})) as Record<(typeof LANE_OUTCOMES)[number], HotIncrementer>;

/** Flag states in the shared buffer. */
const SLEEPING = 0;
const SPINNING = 1;
const STOP = 2;

/** Lane (mailbox) states. */
const EMPTY = 0;
const POSTED = 1;
const CLAIMED = 2;
const DONE = 3;
const FAILED = 4;
/** The lane cannot carry this batch or its answer (no session, too big, an unusual output): the main thread runs it. */
const DECLINED = 5;

/** Int32 slots of the control buffer: [state, periods, lane, control messages sent, lane runs, awake]; then the Float64 spin-until. */
const F_STATE = 0;
const F_PERIODS = 1;
const F_LANE = 2;
const F_CONTROL = 3;
const F_LANE_RUNS = 4;
/** 1 while the thread is in its spin loop (a poke sets the state at once; the thread takes a while to get there). */
const F_AWAKE = 5;
const UNTIL_OFFSET = 24;

/** Bytes of the lane's payload buffer: a batch (header and tensors) that does not fit runs on the main thread. */
const LANE_BYTES = 1 << 20;
/** How long the main thread waits for the spinning thread to take a posted batch before running it itself (us). */
const LANE_CLAIM_US = 50;
/**
 * How long it waits for a taken batch's answer before giving the lane up for good and running the batch itself
 * (ms): a lone batch of a main-thread variant computes well under 1 ms (HUB_INLINE_MAX_COMPUTE_US).
 */
const LANE_ANSWER_MS = 100;
/** The sleeping thread looks for control messages at least this often (ms), so a message whose wake-up it missed waits no longer. */
const SLEEP_CHECK_MS = 50;
/** Spin turns between two looks at the clock and at control messages. */
const SPIN_CHECK = 1024;

/**
 * The thread's code (CommonJS, evaluated: no file to resolve from dist or from the TypeScript sources).
 * Times are compared on the main thread's clock: performance.now() counts from the thread's own timeOrigin,
 * which Node does not promise to be the main thread's (it is on Node 20), so the difference is added.
 *
 * Lane payload (Int32 words, then tensor bytes 8-aligned): request [slot, n, (nameIndex, dtype, rank, dims...,
 * byteOffset, byteLength) x n]; answer [n, (nameIndex, dtype, rank, dims..., byteOffset, byteLength) x n], or
 * on failure [byteLength] and the UTF-8 message.
 */
const SPINNER_SOURCE = `
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const flag = new Int32Array(workerData.sab, 0, 6);
const until = new Float64Array(workerData.sab, ${UNTIL_OFFSET}, 1);
const lane = workerData.lane;
const words = new Int32Array(lane);
const bytes = new Uint8Array(lane);
const shift = performance.timeOrigin - workerData.origin;
const now = () => performance.now() + shift;
const DTYPES = ${JSON.stringify(DTYPES)};
const ARRAYS = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array, float16: Uint16Array, uint8: Uint8Array, bool: Uint8Array };
let ort;
let binding;
const sessions = new Map();
let controlSeen = 0;
function handle(m) {
  if (m.type === 'load') {
    try {
      if (!binding) {
        ort = require(workerData.ortPath);
        const mod = require(workerData.bindingPath);
        mod.initOrt();
        binding = mod.binding;
      }
      const native = new binding.InferenceSession();
      native.loadModel(m.modelPath, m.options);
      const inputNames = native.inputMetadata.map((x) => x.name);
      const outputNames = native.outputMetadata.map((x) => x.name);
      const fetches = {};
      for (const n of outputNames) fetches[n] = null;
      sessions.get(m.slot)?.native.dispose();
      sessions.set(m.slot, { native, inputNames, outputNames, fetches });
      parentPort.postMessage({ type: 'loaded', id: m.id, inputNames, outputNames });
    } catch (e) {
      parentPort.postMessage({ type: 'failed', id: m.id, message: String(e && e.message || e) });
    }
  } else if (m.type === 'unload') {
    sessions.get(m.slot)?.native.dispose();
    sessions.delete(m.slot);
  }
}
function control() {
  controlSeen = Atomics.load(flag, ${F_CONTROL});
  for (let m = receiveMessageOnPort(parentPort); m; m = receiveMessageOnPort(parentPort)) handle(m.message);
}
function decline() {
  Atomics.store(flag, ${F_LANE}, ${DECLINED});
}
function serve() {
  try {
    const s = sessions.get(words[0]);
    if (!s) return decline();
    const feeds = {};
    let w = 2;
    for (let i = 0; i < words[1]; i++) {
      const name = s.inputNames[words[w]];
      const dtype = DTYPES[words[w + 1]];
      const rank = words[w + 2];
      const dims = [];
      for (let d = 0; d < rank; d++) dims.push(words[w + 3 + d]);
      const off = words[w + 3 + rank];
      const len = words[w + 4 + rank];
      w += 5 + rank;
      const own = new ArrayBuffer(len);
      new Uint8Array(own).set(bytes.subarray(off, off + len));
      const A = ARRAYS[dtype];
      feeds[name] = new ort.Tensor(dtype, new A(own), dims);
    }
    const results = s.native.run(feeds, s.fetches, {});
    let n = 0;
    let need = 0;
    for (const name in results) {
      const t = results[name];
      if (t.dims.length > 8 || DTYPES.indexOf(t.type) < 0) return decline();
      need += t.data.byteLength + 8;
      n++;
    }
    if (4 * (1 + n * 13) + 8 + need > lane.byteLength) return decline();
    // Header: n and up to 5 + 8 words per output, then the bytes, 8-aligned.
    let data = 4 * (1 + n * 13);
    data = (data + 7) & ~7;
    w = 1;
    for (const name in results) {
      const t = results[name];
      const v = t.data;
      const len = v.byteLength;
      words[w] = s.outputNames.indexOf(name);
      words[w + 1] = DTYPES.indexOf(t.type);
      words[w + 2] = t.dims.length;
      for (let d = 0; d < t.dims.length; d++) words[w + 3 + d] = t.dims[d];
      words[w + 3 + t.dims.length] = data;
      words[w + 4 + t.dims.length] = len;
      w += 5 + t.dims.length;
      bytes.set(new Uint8Array(v.buffer, v.byteOffset, len), data);
      data = (data + len + 7) & ~7;
    }
    words[0] = n;
    Atomics.add(flag, ${F_LANE_RUNS}, 1);
    Atomics.store(flag, ${F_LANE}, ${DONE});
  } catch (e) {
    const msg = Buffer.from(String(e && e.message || e).slice(0, 4000));
    words[0] = msg.length;
    bytes.set(msg, 4);
    Atomics.store(flag, ${F_LANE}, ${FAILED});
  }
}
for (;;) {
  control();
  const state = Atomics.load(flag, ${F_STATE});
  if (state === ${STOP}) break;
  // With a timeout: a control message posted between control() and this wait would otherwise wait for a poke.
  if (state === ${SLEEPING}) { Atomics.wait(flag, ${F_STATE}, ${SLEEPING}, ${SLEEP_CHECK_MS}); continue; }
  Atomics.add(flag, ${F_PERIODS}, 1);
  Atomics.store(flag, ${F_AWAKE}, 1);
  for (let k = 1; ; k++) {
    if (Atomics.load(flag, ${F_LANE}) === ${POSTED} && Atomics.compareExchange(flag, ${F_LANE}, ${POSTED}, ${CLAIMED}) === ${POSTED}) serve();
    if (k % ${SPIN_CHECK} === 0) {
      if (!(now() < until[0])) break;
      if (Atomics.load(flag, ${F_CONTROL}) !== controlSeen) control();
    }
  }
  Atomics.store(flag, ${F_AWAKE}, 0);
  // Back to sleep unless a poke came after the loop's last look (it found the flag set and did not notify).
  Atomics.compareExchange(flag, ${F_STATE}, ${SPINNING}, ${SLEEPING});
  if (now() < until[0]) Atomics.compareExchange(flag, ${F_STATE}, ${SLEEPING}, ${SPINNING});
}
`;

/** A variant's session in the lane: its slot and its input/output names in the session's order. */
interface LaneSession { readonly slot: number; readonly inputNames: readonly string[]; readonly outputNames: readonly string[] }

/** The spinner thread, its shared flag and its lane. */
export class IdleSpinner {
  readonly #sab = new SharedArrayBuffer(32);
  /** [state, periods, lane, control, lane runs, awake] */
  readonly #flag = new Int32Array(this.#sab, 0, 6);
  readonly #until = new Float64Array(this.#sab, UNTIL_OFFSET, 1);
  readonly #lane = new SharedArrayBuffer(LANE_BYTES);
  readonly #words = new Int32Array(this.#lane);
  readonly #bytes = new Uint8Array(this.#lane);
  readonly #worker: Worker;
  readonly #spinMs: number;
  readonly #sessions = new Map<string, LaneSession>();
  readonly #replies = new Map<number, (m: { type: string; inputNames?: string[]; outputNames?: string[]; message?: string }) => void>();
  #nextId = 1;
  #nextSlot = 1;
  #closed = false;
  /** Set when a taken batch was never answered (or the binding is missing): the lane is not used again. */
  #laneBroken: boolean;
  /** Batches posted and taken back because the thread did not claim them in time (tests, metrics). */
  #withdrawn = 0;
  /** Batches the thread declined (no session, an answer it cannot carry) (tests, metrics). */
  #declined = 0;

  /** `spinUs`: how long a poke keeps the core awake. */
  constructor(spinUs: number) {
    this.#spinMs = spinUs / 1000;
    // onnxruntime-node's binding is not its documented API (sync-session.ts): without it there is no lane, only the spin.
    let ortPath: string | undefined;
    let bindingPath: string | undefined;
    try {
      ortPath = resolveFromHere('onnxruntime-node');
      bindingPath = resolveFromHere('onnxruntime-node/dist/binding.js');
    } catch {
      ortPath = undefined;
    }
    this.#laneBroken = ortPath === undefined;
    this.#worker = new Worker(SPINNER_SOURCE, { eval: true, workerData: { sab: this.#sab, lane: this.#lane, origin: performance.timeOrigin, ortPath, bindingPath } });
    this.#worker.unref(); // never what keeps the process alive
    this.#worker.on('message', (m: { type: string; id: number }) => { const r = this.#replies.get(m.id); this.#replies.delete(m.id); r?.(m); });
    // Should the thread ever fail, the pool only loses the spin and the lane: pokes stop, nothing else depends on it.
    this.#worker.on('error', (e) => {
      this.#closed = true;
      log.warn({ err: e.message }, 'idle spinner thread failed; lone batches no longer keep a core awake');
      for (const r of this.#replies.values()) r({ type: 'failed', message: e.message });
      this.#replies.clear();
    });
  }

  /** Keeps a core awake until spinUs from now (wakes the thread only if it sleeps). */
  poke(): void {
    if (this.#closed) return;
    this.#until[0] = performance.now() + this.#spinMs;
    if (Atomics.compareExchange(this.#flag, F_STATE, SLEEPING, SPINNING) === SLEEPING) {
      Atomics.notify(this.#flag, F_STATE);
      WAKES.inc();
    }
  }

  /** Whether the thread is spinning now, or asked to (tests). */
  get spinning(): boolean {
    return Atomics.load(this.#flag, F_STATE) === SPINNING;
  }

  /** Times the thread went from sleep to spinning (tests). */
  get periods(): number {
    return Atomics.load(this.#flag, F_PERIODS);
  }

  /** Batches the lane ran (tests, metrics). */
  get laneRuns(): number {
    return Atomics.load(this.#flag, F_LANE_RUNS);
  }

  /** Batches posted to the lane and taken back unclaimed after LANE_CLAIM_US (they ran on the main thread). */
  get laneWithdrawn(): number {
    return this.#withdrawn;
  }

  /** Batches the lane's thread declined after taking them (they ran on the main thread). */
  get laneDeclined(): number {
    return this.#declined;
  }

  /** False once the lane was given up (a taken batch unanswered within LANE_ANSWER_MS) or never had a binding. */
  get laneUsable(): boolean {
    return !this.#laneBroken && !this.#closed;
  }

  #control(msg: object): void {
    this.#worker.postMessage(msg);
    Atomics.add(this.#flag, F_CONTROL, 1);
    Atomics.notify(this.#flag, F_STATE);
  }

  /**
   * Loads a CPU session of a variant into the lane (one intra-op thread: the lane runs tiny batches). Resolves
   * false, and the variant's batches stay on the main thread, when the thread could not create it.
   */
  async load(key: string, modelPath: string, settings: Omit<OrtSessionSettings, 'provider'>): Promise<boolean> {
    if (this.#closed || this.#laneBroken) return false;
    const slot = this.#nextSlot++;
    const id = this.#nextId++;
    const reply = new Promise<{ type: string; inputNames?: string[]; outputNames?: string[]; message?: string }>((resolve) => this.#replies.set(id, resolve));
    this.#control({ type: 'load', id, slot, modelPath, options: { ...sessionOptions({ ...settings, intraOpThreads: 1 }), executionProviders: ['cpu'] } });
    const r = await reply;
    if (r.type !== 'loaded') {
      log.warn({ variant: key, err: r.message }, 'no session for the idle spinner\'s lane; lone batches of this variant run on the main thread');
      return false;
    }
    this.unload(key);
    this.#sessions.set(key, { slot, inputNames: r.inputNames ?? [], outputNames: r.outputNames ?? [] });
    return true;
  }

  /** Releases a variant's lane session. */
  unload(key: string): void {
    const s = this.#sessions.get(key);
    if (!s) return;
    this.#sessions.delete(key);
    if (!this.#closed) this.#control({ type: 'unload', slot: s.slot });
  }

  /** Whether the variant has a lane session (tests). */
  hasLane(key: string): boolean {
    return this.#sessions.has(key);
  }

  /**
   * Runs a batch on the spinning thread and returns its result; undefined, and nothing ran, when the lane cannot
   * take it now (the thread sleeps, the variant has no lane session, the batch does not fit, or the thread did
   * not take it within LANE_CLAIM_US, the lane declined it, or its answer did not come within LANE_ANSWER_MS,
   * after which the lane is not used again). Throws ONNX Runtime's message when the run failed there.
   */
  tryRun(key: string, inputs: NamedTensors): EngineRunResult | undefined {
    const s = this.#sessions.get(key);
    if (!s || this.#closed || this.#laneBroken || Atomics.load(this.#flag, F_AWAKE) !== 1 || Atomics.load(this.#flag, F_LANE) !== EMPTY) return undefined;
    const words = this.#words;
    const names = Object.keys(inputs);
    let headerWords = 2;
    for (const n of names) headerWords += 5 + (inputs[n] as HostTensor).shape.length;
    let data = (4 * headerWords + 7) & ~7;
    let w = 2;
    for (const n of names) {
      const t = inputs[n] as HostTensor;
      const index = s.inputNames.indexOf(n);
      const dtype = DTYPES.indexOf(t.dtype);
      if (index < 0 || dtype < 0 || data + t.data.byteLength > LANE_BYTES) return undefined;
      words[w] = index;
      words[w + 1] = dtype;
      words[w + 2] = t.shape.length;
      for (let d = 0; d < t.shape.length; d++) words[w + 3 + d] = t.shape[d] as number;
      words[w + 3 + t.shape.length] = data;
      words[w + 4 + t.shape.length] = t.data.byteLength;
      w += 5 + t.shape.length;
      this.#bytes.set(t.data, data);
      data = (data + t.data.byteLength + 7) & ~7;
    }
    words[0] = s.slot;
    words[1] = names.length;
    const start = performance.now();
    Atomics.store(this.#flag, F_LANE, POSTED);
    // Taken within the claim time, or withdrawn (the compare-exchange decides a race with the thread's).
    const claimBy = start + LANE_CLAIM_US / 1000;
    let k = 0;
    while (Atomics.load(this.#flag, F_LANE) === POSTED) {
      if ((++k & 63) === 0 && performance.now() > claimBy && Atomics.compareExchange(this.#flag, F_LANE, POSTED, EMPTY) === POSTED) {
        this.#withdrawn++;
        LANE.withdrawn.inc();
        return undefined;
      }
    }
    const answerBy = start + LANE_ANSWER_MS;
    let state = Atomics.load(this.#flag, F_LANE);
    while (state === CLAIMED) {
      if ((++k & 1023) === 0 && performance.now() > answerBy) {
        // The mailbox stays the thread's (it may still answer into it): the lane is given up, the batch runs here.
        this.#laneBroken = true;
        LANE.given_up.inc();
        log.error({ variant: key, waitedMs: LANE_ANSWER_MS }, 'the idle spinner took a batch and did not answer; its lane is no longer used');
        return undefined;
      }
      state = Atomics.load(this.#flag, F_LANE);
    }
    if (state === DECLINED) {
      this.#declined++;
      LANE.declined.inc();
      Atomics.store(this.#flag, F_LANE, EMPTY);
      return undefined;
    }
    try {
      if (state === FAILED) {
        LANE.failed.inc();
        throw new Error(Buffer.from(this.#bytes.subarray(4, 4 + (words[0] as number))).toString());
      }
      LANE.ran.inc();
      const computeUs = Math.round((performance.now() - start) * 1000);
      const outputs: Record<string, HostTensor> = {};
      w = 1;
      for (let i = 0; i < (words[0] as number); i++) {
        const name = s.outputNames[words[w] as number] as string;
        const dtype = DTYPES[words[w + 1] as number] as DType;
        const rank = words[w + 2] as number;
        const shape: number[] = [];
        for (let d = 0; d < rank; d++) shape.push(words[w + 3 + d] as number);
        const off = words[w + 3 + rank] as number;
        const len = words[w + 4 + rank] as number;
        w += 5 + rank;
        outputs[name] = { dtype, shape, data: this.#bytes.slice(off, off + len) };
      }
      return { outputs, computeUs };
    } finally {
      Atomics.store(this.#flag, F_LANE, EMPTY);
    }
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Held until it exits: an unref'd thread would let the process end in the middle of this close.
    this.#worker.ref();
    const exited = new Promise<void>((resolve) => { this.#worker.once('exit', () => resolve()); });
    this.#until[0] = 0;
    Atomics.store(this.#flag, F_STATE, STOP);
    Atomics.notify(this.#flag, F_STATE);
    await exited;
    for (const r of this.#replies.values()) r({ type: 'failed', message: 'closed' });
    this.#replies.clear();
  }
}

/** An absolute path the evaluated thread can require (its own require resolves from the working directory). */
function resolveFromHere(specifier: string): string {
  return createRequire(import.meta.url).resolve(specifier);
}
