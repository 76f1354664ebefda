/**
 * One model's usage and the rule that predicts its near-term demand. Two memories, both in the residency
 * clock's time:
 * - a request-rate EWMA (time constant `ewmaSeconds`): what the model is doing now;
 * - an hour-of-week profile, 168 buckets (Monday 00h UTC = bucket 0), each the decayed mean request rate
 *   seen in that hour (a new week's observation weighs PROFILE_DECAY, the older ones the rest), plus the
 *   same over 24 hour-of-day buckets, used for an hour of the week not seen yet (after one day of history,
 *   Tuesday 09h is predicted from Monday 09h; once a Tuesday has been seen, from Tuesday).
 *
 * The rule: predicted near-term demand at t = max(EWMA decayed to t, profile(hour of t), profile(hour of
 * t + lead)). The first term keeps a busy model resident, the last loads a model before the hour its
 * traffic usually starts, and a model whose hours are over and whose EWMA has decayed ranks lowest.
 */

/** Buckets of the hour-of-week profile. */
export const HOURS_PER_WEEK = 168;
const HOUR_MS = 3_600_000;
/** Weight of a new week's observation in its bucket: 0.5 lets a changed schedule win within two weeks. */
export const PROFILE_DECAY = 0.5;
/**
 * A bucket observed for less than this fraction of its hour is not folded in: a server started at 09:58
 * saw two minutes, too little to say what 09h looks like.
 */
const MIN_OBSERVED_FRACTION = 0.1;
/** 1970-01-01 was a Thursday: days to add so that Monday is day 0 of the week. */
const EPOCH_WEEKDAY_SHIFT = 3;
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** The hour-of-week bucket (0 = Monday 00h UTC) of a time in ms. */
export function hourOfWeek(ms: number): number {
  const hours = Math.floor(ms / HOUR_MS);
  const day = (Math.floor(hours / 24) + EPOCH_WEEKDAY_SHIFT) % 7;
  return day * 24 + (hours % 24);
}

/** "Tue 09h" for bucket 33. */
export function bucketLabel(bucket: number): string {
  return `${DAYS[Math.floor(bucket / 24)] ?? '?'} ${String(bucket % 24).padStart(2, '0')}h`;
}

/** The persisted form of one model's usage (rates in requests per second of clock time). */
export interface UsageSnapshot {
  readonly ewma: number;
  /** Clock ms the EWMA was last folded at. */
  readonly ewmaAt: number;
  /** Clock ms of the last request, 0 if none. */
  readonly lastUsedAt: number;
  /** Requests counted, ever. */
  readonly total: number;
  readonly week: readonly number[];
  /** Observations folded into each week bucket (0 = never seen). */
  readonly weekSeen: readonly number[];
  readonly day: readonly number[];
  readonly daySeen: readonly number[];
  /** The hour being observed when the snapshot was taken: its start, requests so far, and observed ms. */
  readonly open: { readonly start: number; readonly count: number; readonly observedMs: number };
}

/** A prediction and the term of the rule that decided it. */
export interface DemandPrediction {
  /** Requests per second of clock time expected in the near term. */
  readonly perSecond: number;
  /** 'recent' (the EWMA), 'profile-now', 'profile-ahead', or 'none' (no usage at all). */
  readonly basis: 'recent' | 'profile-now' | 'profile-ahead' | 'none';
  /** The profile bucket that decided it (profile bases only). */
  readonly bucket: number | undefined;
  /** Whether any history backs it (a profile bucket seen, or an EWMA above zero). */
  readonly hasHistory: boolean;
  /** The profile's part alone: max(profile of this hour, profile of the hour within the lead time). */
  readonly profilePerSecond: number;
}

/** Rates below this (about one request a week) count as zero: they would only add noise to rankings. */
const NEGLIGIBLE_PER_SECOND = 1 / (7 * 24 * 3600);

/** The usage of one model. */
export class ModelUsage {
  readonly #tauMs: number;
  #ewma = 0;
  #ewmaAt: number;
  #pending = 0;
  #lastUsedAt = 0;
  #total = 0;
  readonly #week = new Float64Array(HOURS_PER_WEEK);
  readonly #weekSeen = new Uint32Array(HOURS_PER_WEEK);
  readonly #day = new Float64Array(24);
  readonly #daySeen = new Uint32Array(24);
  /** The hour being observed: its start (clock ms), requests in it, and from when it was observed. */
  #open: { start: number; count: number; observedFrom: number };

  /** @param ewmaSeconds the EWMA's time constant in clock seconds; @param now clock ms when observation starts. */
  constructor(ewmaSeconds: number, now: number) {
    this.#tauMs = ewmaSeconds * 1000;
    this.#ewmaAt = now;
    this.#open = { start: Math.floor(now / HOUR_MS) * HOUR_MS, count: 0, observedFrom: now };
  }

  /** Counts `n` requests at clock time `at`. */
  record(at: number, n = 1): void {
    this.#advance(at);
    this.#open.count += n;
    this.#pending += n;
    this.#total += n;
    if (at > this.#lastUsedAt) this.#lastUsedAt = at;
  }

  /** Folds the requests counted since the last fold into the EWMA, and closes finished profile hours. */
  fold(now: number): void {
    this.#advance(now);
    const dt = now - this.#ewmaAt;
    if (dt <= 0) return;
    const rate = this.#pending / (dt / 1000);
    const alpha = 1 - Math.exp(-dt / this.#tauMs);
    this.#ewma += alpha * (rate - this.#ewma);
    this.#pending = 0;
    this.#ewmaAt = now;
  }

  /** Clock ms of the last request (0: never used). */
  get lastUsedAt(): number {
    return this.#lastUsedAt;
  }

  /** Requests counted, ever. */
  get total(): number {
    return this.#total;
  }

  /** The EWMA decayed to `now` (requests per second). */
  recentRate(now: number): number {
    const dt = Math.max(0, now - this.#ewmaAt);
    return this.#ewma * Math.exp(-dt / this.#tauMs);
  }

  /** The profile's rate for a bucket: the week bucket once seen, else its hour of day, else undefined. */
  profileRate(bucket: number): number | undefined {
    if ((this.#weekSeen[bucket] ?? 0) > 0) return this.#week[bucket];
    const h = bucket % 24;
    if ((this.#daySeen[h] ?? 0) > 0) return this.#day[h];
    return undefined;
  }

  /** The rule (see the file comment): near-term demand at `now` looking `leadMs` ahead. */
  predict(now: number, leadMs: number): DemandPrediction {
    const recent = this.recentRate(now);
    const bNow = hourOfWeek(now);
    const bAhead = hourOfWeek(now + leadMs);
    const pNow = this.profileRate(bNow);
    const pAhead = this.profileRate(bAhead);
    const hasHistory = pNow !== undefined || pAhead !== undefined || recent > NEGLIGIBLE_PER_SECOND || this.#weekSeen.some((n) => n > 0);
    const profilePerSecond = Math.max(pNow ?? 0, pAhead ?? 0);
    let best: DemandPrediction = { perSecond: recent, basis: 'recent', bucket: undefined, hasHistory, profilePerSecond };
    if (pNow !== undefined && pNow > best.perSecond) best = { ...best, perSecond: pNow, basis: 'profile-now', bucket: bNow };
    if (pAhead !== undefined && pAhead > best.perSecond) best = { ...best, perSecond: pAhead, basis: 'profile-ahead', bucket: bAhead };
    if (best.perSecond <= NEGLIGIBLE_PER_SECOND) return { perSecond: 0, basis: 'none', bucket: undefined, hasHistory, profilePerSecond: 0 };
    return best;
  }

  /**
   * Closes every profile hour that ended before `now`. Hours inside one call were observed (the server was
   * running and counting), so an hour without requests is folded in as a zero rate.
   */
  #advance(now: number): void {
    // At most a week of hours is walked: beyond that every bucket has been overwritten anyway.
    for (let i = 0; i <= HOURS_PER_WEEK && now >= this.#open.start + HOUR_MS; i++) {
      const end = this.#open.start + HOUR_MS;
      this.#closeHour(end);
      this.#open = { start: end, count: 0, observedFrom: end };
    }
    if (now >= this.#open.start + HOUR_MS) {
      const start = Math.floor(now / HOUR_MS) * HOUR_MS;
      this.#open = { start, count: 0, observedFrom: start };
    }
  }

  /** Folds the open hour, observed until `until`, into its week and day buckets. */
  #closeHour(until: number): void {
    const observedMs = Math.min(until, this.#open.start + HOUR_MS) - this.#open.observedFrom;
    if (observedMs < MIN_OBSERVED_FRACTION * HOUR_MS) return;
    const rate = this.#open.count / (observedMs / 1000);
    const b = hourOfWeek(this.#open.start);
    foldBucket(this.#week, this.#weekSeen, b, rate);
    foldBucket(this.#day, this.#daySeen, b % 24, rate);
  }

  /** The persisted form, folded up to `now` (the open hour counts as observed until then). */
  snapshot(now: number): UsageSnapshot {
    this.fold(now);
    return {
      ewma: round(this.recentRate(now)), ewmaAt: now, lastUsedAt: this.#lastUsedAt, total: this.#total,
      week: [...this.#week].map(round), weekSeen: [...this.#weekSeen], day: [...this.#day].map(round), daySeen: [...this.#daySeen],
      open: { start: this.#open.start, count: this.#open.count, observedMs: Math.max(0, now - this.#open.observedFrom) },
    };
  }

  /**
   * Adopts a persisted snapshot taken at `s.ewmaAt` (by this process before a restart, or another replica).
   * The time between the snapshot and `now` was not observed here: its open hour is closed with what it
   * saw, and observation restarts at `now`.
   */
  restore(s: UsageSnapshot, now: number): void {
    this.#ewma = s.ewma;
    this.#ewmaAt = Math.min(s.ewmaAt, now);
    // Another replica's clock (or a replayed simulation) may be ahead: a last use "in the future" would make
    // LRU keep the model forever.
    this.#lastUsedAt = Math.min(s.lastUsedAt, now);
    this.#total = s.total;
    this.#week.set(s.week.slice(0, HOURS_PER_WEEK));
    this.#weekSeen.set(s.weekSeen.slice(0, HOURS_PER_WEEK));
    this.#day.set(s.day.slice(0, 24));
    this.#daySeen.set(s.daySeen.slice(0, 24));
    const sameHour = Math.floor(now / HOUR_MS) * HOUR_MS === s.open.start;
    if (sameHour) {
      // Still the same hour: keep counting into it, as if the gap had been observed without requests.
      this.#open = { start: s.open.start, count: s.open.count, observedFrom: Math.min(now - s.open.observedMs, now) };
    } else {
      this.#open = { start: s.open.start, count: s.open.count, observedFrom: s.open.start + HOUR_MS - s.open.observedMs };
      this.#closeHour(s.open.start + HOUR_MS);
      const start = Math.floor(now / HOUR_MS) * HOUR_MS;
      this.#open = { start, count: 0, observedFrom: now };
    }
  }
}

function foldBucket(values: Float64Array, seen: Uint32Array, i: number, rate: number): void {
  values[i] = (seen[i] ?? 0) > 0 ? (1 - PROFILE_DECAY) * (values[i] as number) + PROFILE_DECAY * rate : rate;
  seen[i] = (seen[i] ?? 0) + 1;
}

/** 6 significant digits: the snapshot stays small and exact enough for ranking. */
function round(x: number): number {
  return x === 0 || !Number.isFinite(x) ? 0 : Number(x.toPrecision(6));
}

/** Whether a value read back from a store has the snapshot's shape (anything else is ignored, not trusted). */
export function isUsageSnapshot(v: unknown): v is UsageSnapshot {
  if (!v || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  const nums = (a: unknown, n: number): boolean => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
  const open = s['open'] as Record<string, unknown> | undefined;
  return ['ewma', 'ewmaAt', 'lastUsedAt', 'total'].every((k) => typeof s[k] === 'number' && Number.isFinite(s[k]) && (s[k] as number) >= 0)
    && nums(s['week'], HOURS_PER_WEEK) && nums(s['weekSeen'], HOURS_PER_WEEK) && nums(s['day'], 24) && nums(s['daySeen'], 24)
    && !!open && ['start', 'count', 'observedMs'].every((k) => typeof open[k] === 'number' && Number.isFinite(open[k]));
}
