/**
 * One replica (target) of the service as the SDK sees it: a few channels (separate HTTP/2 connections,
 * picked round-robin) and an in-flight limit with a bounded FIFO queue in front of it. The limit keeps one
 * slow replica from absorbing every call; the bound turns overload into a fast RESOURCE_EXHAUSTED.
 */
import { status } from '@grpc/grpc-js';
import { localError } from './client-error.js';
import type { InferenceStub } from './proto.js';

interface Waiter {
  resolve(stub: InferenceStub): void;
  reject(err: Error): void;
  cleanup(): void;
}

/** A replica with its channels and in-flight accounting. */
export class Target {
  /** host:port of the replica. */
  readonly address: string;
  readonly #stubs: readonly InferenceStub[];
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  readonly #queue: Waiter[] = [];
  #nextStub = 0;
  #inFlight = 0;
  #closed = false;

  constructor(address: string, stubs: readonly InferenceStub[], maxInFlight: number, maxQueued: number) {
    if (stubs.length === 0) throw new RangeError('a target needs at least one channel');
    this.address = address;
    this.#stubs = stubs;
    this.#maxInFlight = maxInFlight;
    this.#maxQueued = maxQueued;
  }

  /** Calls running on this replica now. */
  get inFlight(): number { return this.#inFlight; }

  /** Calls waiting for a slot. */
  get queued(): number { return this.#queue.length; }

  /** True when a call would start at once. */
  get hasCapacity(): boolean { return this.#inFlight < this.#maxInFlight; }

  /** The channels' stubs (for tests and raw access). */
  get stubs(): readonly InferenceStub[] { return this.#stubs; }

  #take(): InferenceStub {
    const stub = this.#stubs[this.#nextStub] as InferenceStub;
    this.#nextStub = (this.#nextStub + 1) % this.#stubs.length;
    return stub;
  }

  /**
   * Resolves with a stub once an in-flight slot is held; the caller must call release() exactly once.
   * Rejects with RESOURCE_EXHAUSTED when the queue is full, DEADLINE_EXCEEDED when `deadline` (epoch ms)
   * passes while queued, CANCELLED when `signal` aborts or the target closes.
   */
  acquire(deadline: number, signal?: AbortSignal): Promise<InferenceStub> {
    if (this.#closed) return Promise.reject(localError(status.CANCELLED, 'client closed'));
    if (signal?.aborted) return Promise.reject(localError(status.CANCELLED, 'cancelled before the call started'));
    if (this.#inFlight < this.#maxInFlight) {
      this.#inFlight++;
      return Promise.resolve(this.#take());
    }
    if (this.#queue.length >= this.#maxQueued) {
      return Promise.reject(localError(status.RESOURCE_EXHAUSTED, `client queue for ${this.address} is full (${this.#maxQueued} calls waiting behind ${this.#maxInFlight} in flight)`, 0, this.address));
    }
    return new Promise<InferenceStub>((resolve, reject) => {
      const leave = (err: Error): void => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        waiter.cleanup();
        reject(err);
      };
      const timer = setTimeout(() => leave(localError(status.DEADLINE_EXCEEDED, `deadline passed while waiting for an in-flight slot on ${this.address}`, 0, this.address)), Math.max(0, deadline - Date.now()));
      const onAbort = (): void => leave(localError(status.CANCELLED, 'cancelled while waiting for an in-flight slot', 0, this.address));
      signal?.addEventListener('abort', onAbort, { once: true });
      const waiter: Waiter = {
        resolve,
        reject: leave,
        cleanup: () => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); },
      };
      this.#queue.push(waiter);
    });
  }

  /** Returns a slot: the oldest waiter gets it, else the in-flight count drops. */
  release(): void {
    const next = this.#queue.shift();
    if (next) {
      next.cleanup();
      next.resolve(this.#take());
      return;
    }
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** Rejects every waiter with CANCELLED and closes the channels. */
  close(): void {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) { w.cleanup(); w.reject(localError(status.CANCELLED, 'client closed', 0, this.address)); }
    for (const s of this.#stubs) s.close();
  }
}
