import { describe, expect, it } from 'vitest';
import { tuningMarkdown, type ProfileSummary } from '../../../../bench/scenarios/tuning-scenario.js';
import { point } from '../report/report-fixtures.js';

const at = (model: string, variant: string, concurrency: number, calls: number, config = 'adaptive') =>
  point({ scenario: 'tuning', config, variant, concurrency, model }, calls, model === '(ListModels)' ? 0 : calls);
const prof = (variant: string, best: number, b1: number): ProfileSummary => ({
  model: 'lead-intent', variant, bestBatch: 8, bestRowsPerSecond: best, batch1RowsPerSecond: b1, batchCap: 8, dispatch: 'workers', slots: 2,
  auto: 'int8', autoReason: 'int8: int8 measured 1.50x fp32', warmupMs: 900,
});

describe('the self-tuning section of the report', () => {
  const ms = [
    at('(ListModels)', '', 64, 10_000),
    at('lead-intent', 'fp32', 128, 450), at('lead-intent', 'int8', 128, 600), at('lead-intent', 'auto', 64, 590),
    at('lead-intent', 'fp32', 64, 440), at('lead-intent', 'int8', 64, 610),
    at('lead-intent', 'fp32', 128, 150, 'off'),
  ];
  const md = tuningMarkdown(ms, [prof('fp32', 500, 400), prof('int8', 640, 500)]);

  it('shows each point as a share of the profile\'s best rows/s and of ListModels calls/s', () => {
    expect(md).toContain('| lead-intent | INT8 | 500 / 640 (8) x 2, cap 8, workers | 128 | 600 (');
    // 600 rows/s of an engine that runs two 640-rows/s batches at once: 47%.
    expect(md).toMatch(/\| lead-intent \| INT8 \| [^|]+\| 128 \| 600 \([\d.]+\) \| 47% \| 6% \|/);
    expect(md).toMatch(/\| lead-intent \| AUTO \(int8\) \|/);
  });

  it('puts AUTO beside the better of FP32 and INT8 measured in the same run, with the profile\'s reason', () => {
    expect(md).toMatch(/\| lead-intent \| 64 \| 440 \| 610 \| 590 \| 97% \| int8: int8 measured 1\.50x fp32 \|/);
  });

  it('reports batched over single beside the engine\'s own batch curve', () => {
    expect(md).toContain('Batched / single (lead-intent FP32, 128 callers): 3.00x (450 vs 150 rows/s), beside the engine\'s own batch curve, best / batch 1 = 1.25x (profile).');
  });

  it('averages the counterbalanced repeats of a point before comparing', () => {
    const twice = [...ms, at('lead-intent', 'auto', 64, 630), at('lead-intent', 'int8', 64, 590)];
    // INT8 (610 + 590) / 2 = 600, AUTO (590 + 630) / 2 = 610: AUTO / better = 102%.
    expect(tuningMarkdown(twice, [prof('fp32', 500, 400), prof('int8', 640, 500)])).toMatch(/\| lead-intent \| 64 \| 440 \| 600 \| 610 \| 102% \|/);
  });

  it('is empty without tuning points', () => {
    expect(tuningMarkdown([], [])).toBe('');
  });
});
