import { describe, expect, it } from 'vitest';
import { parseBenchArgs, SCENARIOS } from '../../../bench/cli-args.js';
import { COST_DEFAULTS } from '../../../bench/report/cost-model.js';

describe('bench command line', () => {
  it('defaults to every scenario but the overload flood, the reloads and the fleet, in quick mode with the cost defaults', () => {
    const a = parseBenchArgs([]);
    expect(a.scenarios).toEqual(SCENARIOS.filter((s) => s !== 'overload' && s !== 'reload' && s !== 'fleet'));
    expect(parseBenchArgs(['overload']).scenarios).toEqual(['overload']);
    expect(parseBenchArgs(['reload', '--full']).scenarios).toEqual(['reload']);
    expect(parseBenchArgs(['fleet', '--quick']).scenarios).toEqual(['fleet']);
    expect(a.mode).toBe('quick');
    expect(a.tool).toBe('auto');
    expect(a.cost).toEqual(COST_DEFAULTS);
  });

  it('keeps scenarios in run order and reads the cost flags', () => {
    const a = parseBenchArgs(['cache', 'batching', '--full', '--traffic', '5000', '--core-hour', '0.03', '--utilization', '0.5']);
    expect(a.scenarios).toEqual(['batching', 'cache']);
    expect(a.mode).toBe('full');
    expect(a.cost).toEqual({ predictionsPerSecond: 5000, dollarsPerCoreHour: 0.03, targetUtilization: 0.5 });
  });

  it('rejects unknown scenarios, both modes at once and bad numbers', () => {
    expect(() => parseBenchArgs(['nope'])).toThrow(/unknown scenario/);
    expect(() => parseBenchArgs(['--quick', '--full'])).toThrow(/one of/);
    expect(() => parseBenchArgs(['--utilization', '2'])).toThrow(/utilization/);
    expect(() => parseBenchArgs(['--tool', 'wrk'])).toThrow(/tool/);
  });
});
