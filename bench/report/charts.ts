/**
 * Report charts: vega-lite specs compiled to vega and rendered to SVG headless (renderer 'none' needs no
 * canvas). Throughput and p95 latency against concurrency, one line per batching mode.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Measurement } from '../scenarios/measurement.js';

/** One plotted point. */
export interface ChartPoint {
  readonly mode: string;
  readonly concurrency: number;
  readonly value: number;
}

/** Renders a line chart (log-2 x axis of concurrency) to an SVG string. */
export async function lineChartSvg(title: string, yTitle: string, points: readonly ChartPoint[]): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 280,
    background: 'white',
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'concurrency', type: 'quantitative', title: 'concurrent callers', scale: { type: 'log', base: 2 } },
      y: { field: 'value', type: 'quantitative', title: yTitle },
      color: { field: 'mode', type: 'nominal', title: 'batching' },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** The batching sweep's throughput and p95 charts. */
export async function batchingCharts(ms: readonly Measurement[]): Promise<{ throughput: string; p95: string } | undefined> {
  const sweep = ms.filter((m) => m.scenario === 'batching' && m.variant === 'fp32');
  if (sweep.length === 0) return undefined;
  return {
    throughput: await lineChartSvg('lead-intent FP32, 1 row per call: throughput', 'predictions/s', sweep.map((m) => ({ mode: m.config, concurrency: m.concurrency, value: m.rowsPerSecond }))),
    p95: await lineChartSvg('lead-intent FP32, 1 row per call: p95 latency', 'p95 latency (ms)', sweep.map((m) => ({ mode: m.config, concurrency: m.concurrency, value: m.load.latency.p95Ms }))),
  };
}
