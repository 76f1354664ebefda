/** Synthetic measurements for report and cost-model tests (shapes as the runner produces them). */
import type { Measurement } from '../../../../bench/scenarios/measurement.js';

/** A measurement with the given identity and figures. */
export function point(over: Partial<Measurement> & Pick<Measurement, 'scenario' | 'config' | 'variant' | 'concurrency'>, rowsPerSecond: number, ppcs: number): Measurement {
  return {
    model: 'lead-intent', rowsPerRequest: 1,
    load: { tool: 'h2load', concurrency: over.concurrency, durationSeconds: 2, completed: rowsPerSecond * 2, clientErrors: 0, requestsPerSecond: rowsPerSecond, latency: { count: 10, meanMs: 5, p50Ms: 4, p95Ms: 9, p99Ms: 12, maxMs: 20 } },
    okPerSecond: rowsPerSecond, rowsPerSecond, errors: 0, server: undefined, meanBatchSize: 4, serverCpuSeconds: 2, serverCores: 1,
    predictionsPerCoreSecond: ppcs, cacheHitRate: undefined,
    ...over,
  };
}
