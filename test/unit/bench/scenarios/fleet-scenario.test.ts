import { describe, expect, it } from 'vitest';
import { fleetMarkdown, FLEET_RESIDENCY, type FleetPolicyResult, type FleetResult } from '../../../../bench/scenarios/fleet-scenario.js';

const lat = (p99: number) => ({ calls: 1000, p50Ms: 2, p95Ms: 10, p99Ms: p99, maxMs: 300, slow: 5 });
const policy = (name: string, cold: number[], p99: number, readyMs: number): FleetPolicyResult => ({
  policy: name, readyMs, preloaded: 10, calls: 3000, errors: 0, coldStartsByDay: cold, all: lat(p99 + 10), afterDay1: lat(p99),
  loadsAhead: name === 'predicted' ? 50 : 0, loadsOnDemand: cold.reduce((a, b) => a + b, 0), evictions: 60, rssAtReadyMb: 250, peakRssMb: 300, loadAverage: [1.2, 1.4],
});
const result = (pred: FleetPolicyResult): FleetResult => ({
  days: 3, secondsPerHour: 0.5, models: 30, calls: 4814, bursts: 6, budgetBytes: 60 * 2 ** 20, meanChargeBytes: 6 * 2 ** 20, memoryFactor: 9,
  workers: 2, slowMs: 50, residency: FLEET_RESIDENCY,
  policies: [policy('static', [200, 200, 200], 400, 1300), policy('lru', [30, 30, 30], 60, 1400), pred],
});

describe('fleet report', () => {
  it('tabulates every policy and judges the targets on days 2+', () => {
    const md = fleetMarkdown(result(policy('predicted', [30, 2, 2], 20, 1350)));
    expect(md).toContain('## Fleet: 30 models under a memory budget (3 simulated days');
    expect(md.match(/^\| (static|lru|predicted) \|/gm)).toHaveLength(3);
    expect(md).toContain('| predicted | 1.35 | 10 | 30 / 2 / 2 | 4 |');
    expect(md).toContain('predicted cold starts 4 = 7% of LRU\'s 60 (target <= 50%: met)');
    expect(md).toContain('p99 20.0 ms vs LRU 60.0 ms (target lower: met)');
    expect(md).toContain('(target < 5 s: met)');
  });

  it('says plainly when a target is missed', () => {
    const md = fleetMarkdown(result(policy('predicted', [30, 20, 20], 90, 6000)));
    expect(md).toContain('(target <= 50%: **not met**)');
    expect(md).toContain('(target lower: **not met**)');
    expect(md).toContain('(target < 5 s: **not met**)');
  });
});
