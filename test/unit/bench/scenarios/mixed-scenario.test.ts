import { describe, expect, it } from 'vitest';
import { splitByShares } from '../../../../bench/scenarios/mixed-scenario.js';
import { MIXED_SHARES } from '../../../../bench/workload/bench-models.js';

describe('mixed workload caller split', () => {
  it('splits callers by share and uses them all', () => {
    const s = splitByShares(128, MIXED_SHARES);
    expect(Object.values(s).reduce((a, b) => a + b, 0)).toBe(128);
    expect(s['lead-scoring']).toBe(64);
    expect(s['lead-intent']! + s['property-valuation']!).toBe(64);
  });

  it('gives every part at least one caller', () => {
    const s = splitByShares(3, { a: 100, b: 1, c: 1 });
    expect(Object.values(s).every((v) => v >= 1)).toBe(true);
  });
});
