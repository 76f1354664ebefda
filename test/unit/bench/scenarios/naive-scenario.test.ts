import { describe, expect, it } from 'vitest';
import { naiveMarkdown } from '../../../../bench/scenarios/naive-scenario.js';
import { point } from '../report/report-fixtures.js';

const at = (config: string, model: string, variant: string, concurrency: number, calls: number, ppcs = calls) =>
  point({ scenario: 'naive', config, model, variant, concurrency }, calls, ppcs);

describe('the hub-beside-naive section of the report', () => {
  // Two turns per server, in the order the scenario measures them (naive, hub, then hub, naive).
  const ms = [
    at('naive', 'lead-scoring', 'fp32', 128, 10_000, 10_000), at('hub', 'lead-scoring', 'fp32', 128, 11_000, 12_500),
    at('hub', 'lead-scoring', 'fp32', 128, 9_000, 12_500), at('naive', 'lead-scoring', 'fp32', 128, 10_000, 10_000),
    at('naive', 'lead-intent', 'fp32', 128, 200), at('hub', 'lead-intent', 'fp32', 128, 420),
    at('hub', 'lead-intent', 'fp32', 128, 400), at('naive', 'lead-intent', 'fp32', 128, 180),
    at('hub', 'lead-intent', 'auto', 128, 1_000), at('hub', 'lead-intent', 'auto', 128, 1_100),
    // The no-inference line (the naive server answering without inference) at one of the points.
    at('canned', 'lead-scoring', 'fp32', 128, 12_000), at('canned', 'lead-scoring', 'fp32', 128, 13_000),
  ];
  const md = naiveMarkdown(ms);

  it('compares the means over the turns, and shows each turn\'s own ratio', () => {
    // hub (11,000 + 9,000) / 2 = 10,000 against naive 10,000: 1.00x; turns 1.10 and 0.90.
    expect(md).toMatch(/\| lead-scoring \| FP32 \| 128 \| 10000 \([\d.]+ \/ [\d.]+\) \| 10000 \([\d.]+ \/ [\d.]+\) \| 1\.00x \| 1\.10 0\.90 \| 12500 \([\d.]+ \/ [\d.]+\) \| 0\.80x \| 100 \/ 80 \|/);
    expect(md).toMatch(/\| lead-intent \| FP32 \| 128 \| 190 \([^)]+\) \| 410 \([^)]+\) \| 2\.16x \| 2\.10 2\.22 \|/);
  });

  it('shows no no-inference figures where the transport-only server was not measured', () => {
    expect(md).toMatch(/\| lead-intent \| FP32 \| 128 \| 190 \([^)]+\) \| 410 \([^)]+\) \| 2\.16x \| 2\.10 2\.22 \| - \| - \|/);
  });

  it('puts hub\'s AUTO beside the naive FP32 server at the same callers', () => {
    expect(md).toMatch(/\| lead-intent \| AUTO \| 128 \| 190 \([^)]+\) \| 1050 \([^)]+\) \| 5\.53x \| 5\.00 6\.11 \|/);
  });

  it('says how the servers were measured', () => {
    expect(md).toContain('took turns at every point in alternating order, 2 turn(s) each');
  });

  it('is empty without naive points', () => {
    expect(naiveMarkdown([at('adaptive', 'lead-intent', 'fp32', 1, 100)].map((m) => ({ ...m, scenario: 'batching' })))).toBe('');
  });
});
