/**
 * A three-state circuit breaker for the Redis tier. Closed: calls go through and consecutive failures are
 * counted. After `failureThreshold` of them it opens: calls are refused (the cache answers misses and drops
 * writes without touching Redis) for `openMs`. Then it is half-open: exactly one trial call is let through;
 * its success closes the breaker, its failure opens it for another `openMs`.
 */

/** Breaker states; the numbers are the `hub_redis_breaker_state` gauge values. */
export const BreakerState = Object.freeze({ closed: 0, halfOpen: 1, open: 2 } as const);
/** A breaker state value. */
export type BreakerStateValue = (typeof BreakerState)[keyof typeof BreakerState];

/** Breaker settings. */
export interface CircuitBreakerOptions {
  readonly failureThreshold: number;
  readonly openMs: number;
  /** Clock in ms (tests pass a fake one). */
  readonly now?: () => number;
  /** Called on every state change. */
  readonly onStateChange?: (state: BreakerStateValue) => void;
}

/** The breaker. Callers ask `tryAcquire()` before a call and report `success()`, `failure()` or `release()` after it. */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  readonly #onChange: ((s: BreakerStateValue) => void) | undefined;
  #state: BreakerStateValue = BreakerState.closed;
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;

  constructor(opts: CircuitBreakerOptions) {
    this.#threshold = Math.max(1, opts.failureThreshold);
    this.#openMs = opts.openMs;
    this.#now = opts.now ?? Date.now;
    this.#onChange = opts.onStateChange;
  }

  /** The current state (moving open -> half-open when the open period has passed). */
  get state(): BreakerStateValue {
    if (this.#state === BreakerState.open && this.#now() - this.#openedAt >= this.#openMs) this.#set(BreakerState.halfOpen);
    return this.#state;
  }

  /** The state as a word, for stats and logs. */
  get stateName(): 'closed' | 'half-open' | 'open' {
    const s = this.state;
    return s === BreakerState.closed ? 'closed' : s === BreakerState.open ? 'open' : 'half-open';
  }

  /**
   * Whether a call may proceed now. In half-open only one caller gets `true` (the trial) until it reports.
   * A caller that gets `true` must report exactly one `success()`, `failure()` or `release()`.
   */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === BreakerState.closed) return true;
    if (s === BreakerState.open || this.#trialInFlight) return false;
    this.#trialInFlight = true;
    return true;
  }

  /** A call succeeded. */
  success(): void {
    if (this.#state === BreakerState.halfOpen) {
      this.#trialInFlight = false;
      this.#failures = 0;
      this.#set(BreakerState.closed);
    } else if (this.#state === BreakerState.closed) {
      this.#failures = 0;
    }
    // A late success of a call started before the breaker opened proves little: stay open.
  }

  /**
   * A call ended without evidence either way (its outcome could not be judged). Counts as neither success
   * nor failure; in half-open it frees the trial so the next caller probes instead.
   */
  release(): void {
    if (this.#state === BreakerState.halfOpen) this.#trialInFlight = false;
  }

  /** A call failed (error, timeout, connection down). */
  failure(): void {
    if (this.#state === BreakerState.halfOpen) {
      this.#trialInFlight = false;
      this.#open();
    } else if (this.#state === BreakerState.closed) {
      this.#failures += 1;
      if (this.#failures >= this.#threshold) this.#open();
    }
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#failures = 0;
    this.#set(BreakerState.open);
  }

  #set(s: BreakerStateValue): void {
    if (s === this.#state) return;
    this.#state = s;
    this.#onChange?.(s);
  }
}
