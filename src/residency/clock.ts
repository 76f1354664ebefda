/**
 * The residency clock: every usage figure and prediction is in this clock's time, never Date.now() directly,
 * so tests inject a hand-moved clock and the fleet benchmark runs a compressed one (several simulated days in
 * about a minute). The real clock is the default.
 */

/** A source of the current time in ms since the epoch (possibly simulated). */
export interface Clock {
  now(): number;
}

/** Settings of a compressed (or shifted) clock. */
export interface ScaledClockOptions {
  /** Real seconds per simulated hour: 3600 is real time, 0.5 runs a simulated day in 12 s. */
  readonly secondsPerHour: number;
  /** Simulated time (ms since the epoch) the clock shows at `originMs`; default: `originMs` itself. */
  readonly startMs?: number | undefined;
  /** Real time (ms since the epoch) at which the clock shows `startMs`; default: when the clock is made. */
  readonly originMs?: number | undefined;
  /** Real time source (tests); default Date.now. */
  readonly realNow?: () => number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock running `3600 / secondsPerHour` times faster than real time from a fixed anchor. Two processes given
 * the same options agree on the simulated time (the fleet bench's client and server do).
 */
export function scaledClock(o: ScaledClockOptions): Clock {
  const realNow = o.realNow ?? Date.now;
  const origin = o.originMs ?? realNow();
  const start = o.startMs ?? origin;
  const speed = 3600 / o.secondsPerHour;
  if (speed === 1 && start === origin) return { now: realNow };
  return { now: () => start + (realNow() - origin) * speed };
}

/** A clock only a test moves. */
export class ManualClock implements Clock {
  #t: number;

  constructor(startMs: number) {
    this.#t = startMs;
  }

  now(): number {
    return this.#t;
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.#t += ms;
  }

  /** Sets the clock. */
  set(ms: number): void {
    this.#t = ms;
  }
}
