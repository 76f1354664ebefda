import { describe, expect, it } from 'vitest';
import { oipMarkdown, oipRatio, OIP_POINT } from '../../../../bench/scenarios/oip-scenario.js';
import { point } from '../report/report-fixtures.js';

const at = (config: string, callsPerSecond: number) => point({ scenario: 'oip', config, variant: 'auto', concurrency: 64, model: 'lead-scoring' }, callsPerSecond, callsPerSecond / 2);

describe('OIP beside Predict in the report', () => {
  it('compares the medians of the alternating points', () => {
    const ms = [at(OIP_POINT.predict, 10_000), at(OIP_POINT.oip, 9_700), at(OIP_POINT.predict, 8_000), at(OIP_POINT.oip, 9_900), at(OIP_POINT.predict, 9_000), at(OIP_POINT.oip, 7_000)];
    const r = oipRatio(ms)!;
    expect(r.predict).toBe(9_000);
    expect(r.oip).toBe(9_700);
    expect(r.ratio).toBeCloseTo(9_700 / 9_000, 10);
    expect(oipMarkdown(ms)).toMatch(/OIP = \*\*107\.8%\*\* of Predict \(bound: at least 95%, met\)/);
  });

  it('says when the bound is missed, and stays silent without both protocols', () => {
    expect(oipMarkdown([at(OIP_POINT.predict, 10_000), at(OIP_POINT.oip, 9_000)])).toMatch(/90\.0%\*\* of Predict \(bound: at least 95%, \*\*not met\*\*\)/);
    expect(oipMarkdown([at(OIP_POINT.predict, 10_000)])).toBe('');
    expect(oipRatio([point({ scenario: 'transport', config: 'adaptive', variant: 'auto', concurrency: 64 }, 1, 1)])).toBeUndefined();
  });
});
