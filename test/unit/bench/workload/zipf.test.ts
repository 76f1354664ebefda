import { describe, expect, it } from 'vitest';
import { idealHitRate, zipfSampler } from '../../../../bench/workload/zipf.js';
import { zipfRanks, zipfRequests } from '../../../../bench/workload/ghz-configs.js';

describe('zipf sampler', () => {
  it('is reproducible for a seed and stays in range', () => {
    const a = zipfSampler(10_000, 1, 7);
    const b = zipfSampler(10_000, 1, 7);
    const xs = Array.from({ length: 2000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 2000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(10_000);
  });

  it('draws the most popular item about 1/H(n) of the time', () => {
    const draw = zipfSampler(100, 1, 3);
    const n = 50_000;
    let top = 0;
    for (let i = 0; i < n; i++) if (draw() === 0) top++;
    let h = 0;
    for (let k = 1; k <= 100; k++) h += 1 / k;
    expect(top / n).toBeGreaterThan(0.9 / h);
    expect(top / n).toBeLessThan(1.1 / h);
  });

  it('gives the ideal hit rate as 1 - distinct/total', () => {
    expect(idealHitRate([1, 1, 2, 3])).toBe(0.25);
    expect(idealHitRate([])).toBe(0);
  });

  it('maps a lead to the same request every time it recurs', () => {
    const ranks = zipfRanks(300);
    const reqs = zipfRequests(ranks, 'CACHE_POLICY_DEFAULT');
    const i = ranks.indexOf(0);
    const j = ranks.indexOf(0, i + 1);
    expect(j).toBeGreaterThan(i);
    expect(reqs[j]).toEqual(reqs[i]);
  });
});
