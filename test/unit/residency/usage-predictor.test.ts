import { describe, it, expect } from 'vitest';
import { ModelUsage, hourOfWeek, bucketLabel, ManualClock, isUsageSnapshotForTest } from './usage-helpers.js';

const MIN = 60_000;
const HOUR = 3_600_000;
/** Monday 2026-01-05 00:00 UTC. */
const MONDAY = Date.UTC(2026, 0, 5);
const at = (day: number, hour: number, minute = 0): number => MONDAY + day * 24 * HOUR + hour * HOUR + minute * MIN;

/** Sends `perSecond` requests per second between two clock times (one record per second), folding every minute. */
function traffic(u: ModelUsage, clock: ManualClock, from: number, to: number, perSecond: number): void {
  clock.set(from);
  for (let t = from; t < to; t += 1000) {
    if (perSecond > 0) u.record(t, perSecond);
    if ((t - from) % MIN === 0) u.fold(t);
  }
  clock.set(to);
  u.fold(to);
}

/** Observes (folds) without requests, every 10 minutes, from the clock's time to `to`. */
function idle(u: ModelUsage, clock: ManualClock, to: number): void {
  for (let t = clock.now(); t <= to; t += 10 * MIN) u.fold(t);
  clock.set(to);
  u.fold(to);
}

describe('hour-of-week buckets', () => {
  it('numbers hours from Monday 00h UTC', () => {
    expect(hourOfWeek(at(0, 0))).toBe(0);
    expect(hourOfWeek(at(1, 9, 30))).toBe(33);
    expect(hourOfWeek(at(6, 23, 59))).toBe(167);
    expect(hourOfWeek(at(7, 0))).toBe(0);
    expect(bucketLabel(33)).toBe('Tue 09h');
  });
});

describe('usage EWMA', () => {
  it('converges to a steady rate and decays by 1/e per time constant of silence', () => {
    const clock = new ManualClock(at(0, 8));
    const u = new ModelUsage(900, clock.now());
    traffic(u, clock, at(0, 8), at(0, 10), 2);
    expect(u.recentRate(clock.now())).toBeGreaterThan(1.98);
    expect(u.recentRate(clock.now())).toBeLessThan(2.02);
    expect(u.recentRate(clock.now() + 900_000)).toBeCloseTo(2 / Math.E, 1);
  });

  it('gives the same EWMA whether folds come often or rarely', () => {
    const a = new ModelUsage(600, at(0, 0));
    const b = new ModelUsage(600, at(0, 0));
    for (let s = 0; s < 1800; s++) { a.record(at(0, 0) + s * 1000); b.record(at(0, 0) + s * 1000); if (s % 10 === 0) a.fold(at(0, 0) + s * 1000); }
    a.fold(at(0, 0, 30));
    b.fold(at(0, 0, 30));
    expect(a.recentRate(at(0, 0, 30))).toBeCloseTo(b.recentRate(at(0, 0, 30)), 1);
  });
});

describe('the demand rule: max(EWMA, profile now, profile within the lead time)', () => {
  /** Monday: 2 req/s from 09:00 to 12:00, observed all day. */
  function mondayOnly(): { u: ModelUsage; clock: ManualClock } {
    const clock = new ManualClock(at(0, 0));
    const u = new ModelUsage(900, clock.now());
    idle(u, clock, at(0, 9));
    traffic(u, clock, at(0, 9), at(0, 12), 2);
    idle(u, clock, at(1, 6));
    return { u, clock };
  }

  it('predicts Tuesday 09h from Monday 09h before the hour starts (hour-of-day fallback), looking ahead by the lead time', () => {
    const { u } = mondayOnly();
    const lead = 15 * MIN;
    const early = u.predict(at(1, 8, 30), lead);
    expect(early.perSecond).toBe(0); // 09h is 30 min away: beyond the lead time
    const ahead = u.predict(at(1, 8, 50), lead);
    expect(ahead.basis).toBe('profile-ahead');
    expect(ahead.bucket).toBe(hourOfWeek(at(1, 9)));
    expect(ahead.perSecond).toBeCloseTo(2, 2);
    expect(u.predict(at(1, 10, 0), lead).basis).toBe('profile-now');
  });

  it('ranks a model whose hours are over at zero once its EWMA has decayed', () => {
    const { u } = mondayOnly();
    // Monday 12:05: the EWMA still carries the morning.
    const justAfter = new ModelUsage(900, at(0, 0));
    const c = new ManualClock(at(0, 9));
    traffic(justAfter, c, at(0, 9), at(0, 12), 2);
    expect(justAfter.predict(at(0, 12, 5), 15 * MIN).basis).toBe('recent');
    // Tuesday 06:00: nothing recent, and the profile says 06h and 06:15 are quiet.
    expect(u.predict(at(1, 6), 15 * MIN).perSecond).toBe(0);
    expect(u.predict(at(1, 6), 15 * MIN).hasHistory).toBe(true);
  });

  it('prefers the hour-of-week bucket once that weekday has been seen, and decays old weeks by half', () => {
    const clock = new ManualClock(at(0, 0));
    const u = new ModelUsage(900, clock.now());
    idle(u, clock, at(0, 9));
    traffic(u, clock, at(0, 9), at(0, 10), 2);      // Monday 09h: 2/s
    idle(u, clock, at(1, 9));
    idle(u, clock, at(1, 10));                      // Tuesday 09h: observed, quiet (a holiday)
    idle(u, clock, at(7, 9));
    traffic(u, clock, at(7, 9), at(7, 10), 4);      // next Monday 09h: 4/s
    idle(u, clock, at(8, 6));
    expect(u.profileRate(hourOfWeek(at(8, 9)))).toBe(0);         // Tuesday 09h seen as quiet: wins over the daily mean
    expect(u.profileRate(hourOfWeek(at(14, 9)))).toBeCloseTo(0.5 * 2 + 0.5 * 4, 2); // Monday 09h: two weeks, decayed
  });

  it('does not fold an hour it observed for less than a tenth of it', () => {
    const clock = new ManualClock(at(0, 9, 58));
    const u = new ModelUsage(900, clock.now());
    traffic(u, clock, at(0, 9, 58), at(0, 10), 5);
    idle(u, clock, at(0, 11));
    expect(u.profileRate(hourOfWeek(at(0, 9)))).toBeUndefined();
    expect(u.profileRate(hourOfWeek(at(0, 10)))).toBe(0);
  });

  it('round-trips through a snapshot: a restarted server predicts what the old one would have', () => {
    const { u } = mondayOnly();
    const snap = JSON.parse(JSON.stringify(u.snapshot(at(1, 6)))) as unknown;
    expect(isUsageSnapshotForTest(snap)).toBe(true);
    const restored = new ModelUsage(900, at(1, 7));
    if (!isUsageSnapshotForTest(snap)) throw new Error('not a snapshot');
    restored.restore(snap, at(1, 7));
    expect(restored.total).toBe(u.total);
    for (const t of [at(1, 8, 50), at(1, 10), at(1, 13)]) {
      expect(restored.predict(t, 15 * MIN).perSecond).toBeCloseTo(u.predict(t, 15 * MIN).perSecond, 4);
    }
  });

  it('closes the hour a snapshot was taken in when it is restored in a later hour', () => {
    const clock = new ManualClock(at(0, 9));
    const u = new ModelUsage(900, clock.now());
    traffic(u, clock, at(0, 9), at(0, 9, 40), 3);   // shut down at 09:40
    const snap = u.snapshot(at(0, 9, 40));
    const next = new ModelUsage(900, at(0, 11));
    next.restore(snap, at(0, 11));                   // restarted at 11:00
    expect(next.profileRate(hourOfWeek(at(0, 9)))).toBeCloseTo(3, 2); // 40 observed minutes at 3/s
    expect(next.profileRate(hourOfWeek(at(0, 10)))).toBeUndefined();  // down the whole hour: not observed
  });
});
