/**
 * Single-flight for rows: concurrent callers asking for the same row (the same cache key) share one
 * computation, and each caller keeps its own deadline and cancellation.
 *
 * - A shared row keeps running while ANY waiter still wants it; the batcher sees the LATEST deadline among
 *   the waiters (none when one of them has none), read afresh at every check.
 * - A waiter whose deadline passes or who cancels gets its own DEADLINE_EXCEEDED or CANCELLED, and leaves;
 *   the others are not affected (DESIGN: "single-flight must never let one waiter's deadline or cancellation
 *   decide another waiter's answer").
 * - When every waiter of every row of a computation has left, the computation's signal aborts, so the
 *   batcher drops it before it runs.
 * - A failure of the computation itself (engine failure, overload refusal) is every waiter's answer.
 */
import type { CancelSignal } from '../batching/cancel-signal.js';
import { InferenceError } from '../errors/index.js';

/** One caller's own limits. */
export interface RowCaller {
  /** Absolute deadline, ms since the epoch (Date.now()). */
  readonly deadline?: number | undefined;
  readonly signal?: CancelSignal | undefined;
}

/** What a computation is handed: the limits of everyone waiting on its rows, kept current. */
export interface SharedSubmission {
  /** The latest deadline among the waiters still waiting, or undefined when one of them has none. */
  readonly deadline: number | undefined;
  /** Aborted once no waiter wants any of the rows. */
  readonly signal: AbortSignal;
}

interface Waiter<T> {
  readonly caller: CallerState<T>;
  readonly flight: Flight<T>;
  readonly resolve: (v: T) => void;
  readonly reject: (e: Error) => void;
}

interface Flight<T> {
  readonly key: string;
  readonly group: Group<T>;
  readonly waiters: Set<Waiter<T>>;
}

class CallerState<T> {
  readonly deadline: number | undefined;
  readonly waiters = new Set<Waiter<T>>();

  constructor(caller: RowCaller) {
    this.deadline = caller.deadline;
  }
}

class Group<T> implements SharedSubmission {
  readonly flights: Flight<T>[] = [];
  readonly #controller = new AbortController();
  readonly #initialDeadline: number | undefined;

  constructor(initialDeadline: number | undefined) {
    this.#initialDeadline = initialDeadline;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get deadline(): number | undefined {
    let latest: number | undefined;
    let any = false;
    for (const f of this.flights) {
      for (const w of f.waiters) {
        if (w.caller.deadline === undefined) return undefined;
        any = true;
        latest = latest === undefined ? w.caller.deadline : Math.max(latest, w.caller.deadline);
      }
    }
    return any ? latest : this.#initialDeadline;
  }

  /** Aborts the computation when nobody waits for any of its rows any more. */
  abandonIfUnwanted(): void {
    if (this.flights.every((f) => f.waiters.size === 0)) this.#controller.abort();
  }
}

/** Computes each distinct row key once across concurrent callers. */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();

  /** Rows being computed now. */
  get size(): number {
    return this.#flights.size;
  }

  /**
   * Answers `keys` (one per row) for one caller. Keys already in flight are joined (unless `join` is false:
   * a REFRESH must compute its own rows); the rest are computed by ONE call of `compute(indices, shared)`,
   * whose promise yields one value per index, in order. `onShared` is told how many rows were joined.
   * Rejects with this caller's own DEADLINE_EXCEEDED or CANCELLED when its deadline passes or its signal
   * aborts, whatever the other waiters do.
   */
  async run(
    keys: readonly string[],
    caller: RowCaller,
    compute: (indices: number[], shared: SharedSubmission) => Promise<readonly T[]>,
    options: { readonly join: boolean; readonly onShared?: (rows: number) => void },
  ): Promise<T[]> {
    const me = new CallerState<T>(caller);
    const results = new Array<Promise<T>>(keys.length);
    const owned: number[] = [];
    let group: Group<T> | undefined;
    const mine = new Map<string, Flight<T>>();
    let shared = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      let flight = mine.get(key) ?? (options.join ? this.#flights.get(key) : undefined);
      if (flight && !mine.has(key)) shared += 1;
      if (!flight) {
        group ??= new Group<T>(caller.deadline);
        flight = { key, group, waiters: new Set() };
        group.flights.push(flight);
        mine.set(key, flight);
        // A REFRESH leaves a flight already registered for this key in place: later callers join that one.
        if (!this.#flights.has(key)) this.#flights.set(key, flight);
        owned.push(i);
      }
      results[i] = this.#wait(flight, me);
    }
    if (shared > 0) options.onShared?.(shared);
    if (group) this.#start(group, owned, compute);
    const stop = this.#watch(me, caller);
    try {
      return await Promise.all(results);
    } finally {
      stop();
    }
  }

  #wait(flight: Flight<T>, me: CallerState<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = { caller: me, flight, resolve, reject };
      flight.waiters.add(w);
      me.waiters.add(w );
    });
  }

  #start(group: Group<T>, owned: number[], compute: (indices: number[], shared: SharedSubmission) => Promise<readonly T[]>): void {
    const settle = (fn: (f: Flight<T>, j: number) => void): void => {
      group.flights.forEach((f, j) => {
        if (this.#flights.get(f.key) === f) this.#flights.delete(f.key);
        fn(f, j);
        f.waiters.clear();
      });
    };
    let started: Promise<readonly T[]>;
    try {
      started = compute(owned, group);
    } catch (e) {
      started = Promise.reject(e as Error);
    }
    started.then(
      (values) => settle((f, j) => {
        const v = values[j];
        for (const w of f.waiters) {
          w.caller.waiters.delete(w );
          if (v === undefined) w.reject(new InferenceError('INTERNAL', 'a shared computation returned fewer rows than asked'));
          else w.resolve(v);
        }
      }),
      (err: Error) => settle((f) => {
        for (const w of f.waiters) {
          w.caller.waiters.delete(w );
          w.reject(err);
        }
      }),
    );
  }

  /** Makes the caller leave every row it waits for when its own deadline passes or its signal aborts. */
  #watch(me: CallerState<T>, caller: RowCaller): () => void {
    const leave = (err: InferenceError): void => {
      for (const w of [...me.waiters]) {
        me.waiters.delete(w );
        w.flight.waiters.delete(w);
        w.reject(err);
        if (w.flight.waiters.size === 0) w.flight.group.abandonIfUnwanted();
      }
    };
    const ownError = (timedOut = false): InferenceError => (timedOut || (caller.deadline !== undefined && Date.now() + 5 >= caller.deadline) /* grpc-js may cancel at the deadline a ms early */
      ? new InferenceError('DEADLINE_EXCEEDED', 'the deadline passed before the rows of this request were computed; they were not answered')
      : new InferenceError('CANCELLED', 'the request was cancelled before its rows were computed'));
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => leave(ownError());
    if (caller.signal) {
      if (caller.signal.aborted) queueMicrotask(onAbort);
      else caller.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (caller.deadline !== undefined) {
      timer = setTimeout(() => leave(ownError(true)), Math.max(0, caller.deadline - Date.now()));
    }
    return () => {
      if (timer) clearTimeout(timer);
      caller.signal?.removeEventListener('abort', onAbort);
    };
  }
}
