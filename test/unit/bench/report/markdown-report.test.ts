import { describe, expect, it } from 'vitest';
import { markdownReport } from '../../../../bench/report/markdown-report.js';
import { batchingCharts } from '../../../../bench/report/charts.js';
import { costTable, COST_DEFAULTS } from '../../../../bench/report/cost-model.js';
import type { BenchResults } from '../../../../bench/report/bench-results.js';
import { point } from './report-fixtures.js';

const measurements = [
  point({ scenario: 'batching', config: 'off', variant: 'fp32', concurrency: 1 }, 100, 90),
  point({ scenario: 'batching', config: 'off', variant: 'fp32', concurrency: 64 }, 200, 110),
  point({ scenario: 'batching', config: 'adaptive', variant: 'fp32', concurrency: 1 }, 100, 95),
  point({ scenario: 'batching', config: 'adaptive', variant: 'fp32', concurrency: 64 }, 600, 300),
  point({ scenario: 'transport', config: 'adaptive', variant: '', concurrency: 64, model: '(ListModels)' }, 10_000, 9000),
  point({ scenario: 'transport', config: 'adaptive', variant: 'auto', concurrency: 64, model: 'lead-scoring' }, 4000, 3000),
];
const results: BenchResults = {
  startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:01:00.000Z', mode: 'quick', tool: 'h2load', scenarios: ['batching', 'limits'],
  workers: 2, machine: { cpuModel: 'test cpu', logicalCpus: 2, node: 'v20', platform: 'linux x64' }, measurements,
  engine: [{ model: 'lead-intent', variant: 'fp32', batch: 32, workers: 2, rowsPerSecond: 1200, runMs: 50 }],
  costAssumptions: COST_DEFAULTS, cost: costTable(measurements, COST_DEFAULTS, 64), costConcurrency: 64, notes: ['a note'],
};

describe('markdown report', () => {
  const md = markdownReport(results, { throughput: 't.svg', p95: 'p.svg' });

  it('has the batching table, charts, limits, cost model and notes', () => {
    expect(md).toContain('## Single vs batched');
    expect(md).toContain('![throughput vs concurrency](t.svg)');
    expect(md).toContain('## Physical limits');
    expect(md).toContain('## Cost model');
    expect(md).toContain('- a note');
  });

  it('shows the service as a fraction of the transport and engine ceilings', () => {
    expect(md).toContain('**40.0%** of the trivial gRPC round trip');
    expect(md).toContain('**50.0%** of the engine ceiling');
  });

  it('states what the measurements support of the plan\'s target, and explains the dollars and negative savings', () => {
    expect(md).toMatch(/The project plan targets a 25%-35% infrastructure saving/);
    expect(md).toMatch(/Dollars are not measured: they follow from the assumed traffic and price/);
    expect(md).toMatch(/A negative saving means the mode costs more CPU per prediction than its baseline/);
    expect(md).not.toMatch(/traffic for \$/);
    expect(md).toContain('adaptive batching (63.3%)');
  });
});

describe('charts', () => {
  it('renders throughput and p95 charts to SVG with vega-lite, headless', async () => {
    const charts = await batchingCharts(measurements);
    expect(charts?.throughput.startsWith('<svg')).toBe(true);
    expect(charts?.throughput).toContain('predictions/s');
    expect(charts?.p95).toContain('p95 latency (ms)');
  });

  it('has no charts without a batching sweep', async () => {
    expect(await batchingCharts([])).toBeUndefined();
  });
});
