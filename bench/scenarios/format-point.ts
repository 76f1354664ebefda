/** One progress line per measured point. */
import type { Measurement } from './measurement.js';

const f = (v: number | undefined, digits = 1): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** "batching adaptive lead-intent c=64: 5123 req/s, 5123 rows/s, p95 12.3 ms, batch 8.1, 1.9 cores, 0 errors". */
export function formatPoint(m: Measurement): string {
  return `${m.scenario} ${m.config} ${m.model}${m.variant ? ` ${m.variant}` : ''} rows=${m.rowsPerRequest} c=${m.concurrency}: ` +
    `${f(m.okPerSecond, 0)} req/s, ${f(m.rowsPerSecond, 0)} rows/s, p50 ${f(m.load.latency.p50Ms, 2)} ms, p95 ${f(m.load.latency.p95Ms, 2)} ms, ` +
    `p99 ${f(m.load.latency.p99Ms, 2)} ms, batch ${f(m.meanBatchSize)}, ${f(m.serverCores, 2)} cores, ${m.errors} errors` +
    (m.cacheHitRate !== undefined ? `, hit rate ${(m.cacheHitRate * 100).toFixed(1)}%` : '');
}
