/**
 * Keeps one core awake for a short while after a lone batch at low load (HUB_IDLE_SPIN_US).
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
 * One worker thread, asleep on a futex (Atomics.wait) until poked; a poke sets the time to spin until and
 * wakes it only when it sleeps, so the per-batch cost is a store. It spins in plain JS (no allocation) and
 * sleeps again when the time has passed without another poke. The pool pokes it only for a lone batch that
 * finds the whole engine idle, so under load (batches meet busy workers, or are made of several requests)
 * the spinner sleeps and takes no core from the work.
 */
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { moduleLogger } from '../logging/logger.js';

const log = moduleLogger('engine');

/** Flag states in the shared buffer. */
const SLEEPING = 0;
const SPINNING = 1;
const STOP = 2;

/**
 * The thread's code (CommonJS, evaluated: no file to resolve from dist or from the TypeScript sources).
 * Times are compared on the main thread's clock: performance.now() counts from the thread's own timeOrigin,
 * which Node does not promise to be the main thread's (it is on Node 20), so the difference is added.
 * `periods` (tests) counts the times the thread went from sleep to spinning.
 */
const SPINNER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const flag = new Int32Array(workerData.sab, 0, 2);
const until = new Float64Array(workerData.sab, 8, 1);
const shift = performance.timeOrigin - workerData.origin;
const now = () => performance.now() + shift;
for (;;) {
  Atomics.wait(flag, 0, ${SLEEPING});
  if (Atomics.load(flag, 0) === ${STOP}) break;
  Atomics.add(flag, 1, 1);
  while (now() < until[0]) {}
  // Back to sleep unless a poke came after the loop's last look (it found the flag set and did not notify).
  Atomics.compareExchange(flag, 0, ${SPINNING}, ${SLEEPING});
  if (now() < until[0]) Atomics.compareExchange(flag, 0, ${SLEEPING}, ${SPINNING});
}
`;

/** The spinner thread and its shared flag. */
export class IdleSpinner {
  readonly #sab = new SharedArrayBuffer(16);
  /** [state, periods] */
  readonly #flag = new Int32Array(this.#sab, 0, 2);
  readonly #until = new Float64Array(this.#sab, 8, 1);
  readonly #worker: Worker;
  readonly #spinMs: number;
  #closed = false;

  /** `spinUs`: how long a poke keeps the core awake. */
  constructor(spinUs: number) {
    this.#spinMs = spinUs / 1000;
    this.#worker = new Worker(SPINNER_SOURCE, { eval: true, workerData: { sab: this.#sab, origin: performance.timeOrigin } });
    this.#worker.unref(); // never what keeps the process alive
    // Should the thread ever fail, the pool only loses the spin: pokes stop, nothing else depends on it.
    this.#worker.on('error', (e) => {
      this.#closed = true;
      log.warn({ err: e.message }, 'idle spinner thread failed; lone batches no longer keep a core awake');
    });
  }

  /** Keeps a core awake until spinUs from now (wakes the thread only if it sleeps). */
  poke(): void {
    if (this.#closed) return;
    this.#until[0] = performance.now() + this.#spinMs;
    if (Atomics.compareExchange(this.#flag, 0, SLEEPING, SPINNING) === SLEEPING) Atomics.notify(this.#flag, 0);
  }

  /** Whether the thread is spinning now, or asked to (tests). */
  get spinning(): boolean {
    return Atomics.load(this.#flag, 0) === SPINNING;
  }

  /** Times the thread went from sleep to spinning (tests). */
  get periods(): number {
    return Atomics.load(this.#flag, 1);
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Held until it exits: an unref'd thread would let the process end in the middle of this close.
    this.#worker.ref();
    const exited = new Promise<void>((resolve) => { this.#worker.once('exit', () => resolve()); });
    this.#until[0] = 0;
    Atomics.store(this.#flag, 0, STOP);
    Atomics.notify(this.#flag, 0);
    await exited;
  }
}
