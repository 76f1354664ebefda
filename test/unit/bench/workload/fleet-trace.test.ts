import { describe, expect, it } from 'vitest';
import { busyAt, busyModelsByHour, fleetTrace } from '../../../../bench/workload/fleet-trace.js';

const trace = fleetTrace({ days: 3, secondsPerHour: 0.5, seed: 7 });
const hourMs = 500;

describe('fleet trace', () => {
  it('has about 30 distinct model versions, two of them pinned, with distinct seeds and several sizes', () => {
    expect(trace.models.length).toBe(30);
    expect(new Set(trace.models.map((m) => m.name)).size).toBe(30);
    expect(new Set(trace.models.map((m) => m.seed)).size).toBe(30);
    expect(trace.models.filter((m) => m.pin).map((m) => m.name)).toEqual(['global-scoring', 'global-dedupe']);
    expect(new Set(trace.models.map((m) => m.hidden[0])).size).toBeGreaterThanOrEqual(3);
  });

  it('is the same trace for the same options (every policy replays identical calls)', () => {
    const again = fleetTrace({ days: 3, secondsPerHour: 0.5, seed: 7 });
    expect(again.calls).toEqual(trace.calls);
    expect(fleetTrace({ days: 3, secondsPerHour: 0.5, seed: 8 }).calls).not.toEqual(trace.calls);
  });

  it('sends each call inside its model\'s business hours or one of the bursts, in time order', () => {
    const schedule = new Map(trace.schedules.map((s) => [s.model, s]));
    for (const [i, c] of trace.calls.entries()) {
      if (i > 0) expect(c.atMs).toBeGreaterThanOrEqual(trace.calls[i - 1]!.atMs);
      const hour = c.atMs / hourMs;
      const inBurst = trace.bursts.some((b) => b.model === c.model && hour >= b.atHour && hour < b.atHour + b.hours);
      expect(busyAt(schedule.get(c.model)!, hour % 24) || inBurst, `${c.model} at ${hour.toFixed(2)} h`).toBe(true);
    }
  });

  it('starts and ends tenants at different hours, keeps fewer models busy than the budget holds, and bursts outside a model\'s hours', () => {
    const starts = new Set(trace.schedules.filter((s) => /scoring$/.test(s.model) && s.windows.length).map((s) => s.windows[0]!.from % 24));
    expect(starts.size).toBeGreaterThanOrEqual(8);
    expect(Math.max(...busyModelsByHour(trace))).toBeLessThanOrEqual(10);
    expect(trace.bursts.length).toBe(6);
    for (const b of trace.bursts) expect(busyAt(trace.schedules.find((s) => s.model === b.model)!, b.atHour % 24)).toBe(false);
  });

  it('offers a few hundred calls per real second at most: a grpc-js client in the bench process keeps up', () => {
    const perSecond = new Map<number, number>();
    for (const c of trace.calls) perSecond.set(Math.floor(c.atMs / 1000), (perSecond.get(Math.floor(c.atMs / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThan(500);
  });
});
