import { describe, expect, it } from 'vitest';
import { costTable, coresNeeded, monthlyDollars, HOURS_PER_MONTH } from '../../../../bench/report/cost-model.js';
import { point } from './report-fixtures.js';

const a = { predictionsPerSecond: 1200, dollarsPerCoreHour: 0.05, targetUtilization: 0.6 };

describe('cost model', () => {
  it('turns predictions per core-second into cores and monthly dollars', () => {
    expect(coresNeeded(1000, a)).toBeCloseTo(2, 9);
    expect(monthlyDollars(2, a)).toBeCloseTo(2 * 0.05 * HOURS_PER_MONTH, 9);
  });

  it('states each optimization\'s saving against the unbatched FP32 baseline at the same concurrency', () => {
    const ms = [
      point({ scenario: 'batching', config: 'off', variant: 'fp32', concurrency: 64 }, 400, 250),
      point({ scenario: 'batching', config: 'adaptive', variant: 'fp32', concurrency: 64 }, 800, 500),
      point({ scenario: 'batching', config: 'adaptive', variant: 'fp32', concurrency: 16 }, 700, 9999),
      point({ scenario: 'batching', config: 'adaptive', variant: 'int8', concurrency: 64 }, 1600, 1000),
    ];
    const t = costTable(ms, a, 64);
    expect(t.map((l) => l.mode)).toEqual(['no batching, FP32, no cache', 'adaptive batching', 'adaptive batching + INT8']);
    expect(t[1]!.savingVsBaseline).toBeCloseTo(0.5, 9);
    expect(t[2]!.savingVsBaseline).toBeCloseTo(0.75, 9);
    // $145K/yr of saving needs: 145000 / ((1/(250*.6) - 1/(500*.6)) * 0.05 * 8760) predictions/s
    expect(t[1]!.trafficForPlanDollars).toBeCloseTo(145_000 / ((1 / 150 - 1 / 300) * 0.05 * 8760), 6);
  });

  it('leaves out modes that were not measured and never claims savings from a slower mode', () => {
    expect(costTable([], a, 64)).toEqual([]);
    const t = costTable([
      point({ scenario: 'cache', config: 'off', variant: 'auto', concurrency: 32 }, 100, 500),
      point({ scenario: 'cache', config: 'L1', variant: 'auto', concurrency: 32 }, 100, 400),
    ], a, 64);
    expect(t[1]!.savingVsBaseline).toBeLessThan(0);
    expect(t[1]!.trafficForPlanDollars).toBe(Infinity);
  });
});
