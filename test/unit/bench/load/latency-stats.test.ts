import { describe, expect, it } from 'vitest';
import { percentile, summarizeLatencies } from '../../../../bench/load/latency-stats.js';

describe('latency percentiles', () => {
  it('uses nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it('sorts numerically and summarises', () => {
    const s = summarizeLatencies([10, 2, 1, 100]);
    expect(s).toEqual({ count: 4, meanMs: 28.25, p50Ms: 2, p95Ms: 100, p99Ms: 100, maxMs: 100 });
  });

  it('returns NaN figures for no samples', () => {
    expect(summarizeLatencies([]).p95Ms).toBeNaN();
  });
});
