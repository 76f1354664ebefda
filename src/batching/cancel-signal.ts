/**
 * Cancellation as the queue sees it: the part of AbortSignal the batcher and single-flight use, and a light
 * implementation of it for every inference call. `new AbortController()` builds an EventTarget per call, and
 * under load its construction and the garbage it leaves were a visible share of a tiny model's call (CPU
 * profile at 128 callers on lead-scoring: createAbortSignal alone 2.7% of the process, with garbage collection
 * at 24%). An AbortSignal still satisfies CancelSignal, so callers with one (the SDK, tests) pass it as is.
 */

/** What the queue needs of a cancellation signal. */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A one-shot cancellation: `cancel()` once, and every listener still registered runs once. */
export class Cancellation implements CancelSignal {
  #aborted = false;
  #listeners: (() => void)[] | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.#aborted) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.#listeners;
    if (!l) return;
    const i = l.indexOf(listener);
    if (i >= 0) l.splice(i, 1);
  }

  /** Aborts: runs every registered listener once (later registrations are ignored). */
  cancel(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    const l = this.#listeners;
    this.#listeners = undefined;
    if (l) for (const f of l) f();
  }
}
