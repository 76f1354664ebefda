/** The common shape of one load run, whichever tool drove it. */
import type { LatencySummary } from './latency-stats.js';

/** Which load generator produced a result. */
export type LoadTool = 'ghz' | 'h2load' | 'node-http2';

/** Client-side view of one load run. */
export interface LoadResult {
  readonly tool: LoadTool;
  /** Callers in flight at once. */
  readonly concurrency: number;
  readonly durationSeconds: number;
  /** Completed calls (any status). */
  readonly completed: number;
  /** Calls that failed at the client (transport errors, timeouts, non-200 HTTP, or grpc-status when the tool reads it). */
  readonly clientErrors: number;
  /** Calls the load tool itself cut when its run ended (ghz); never counted as errors. */
  readonly cutOff?: number;
  readonly requestsPerSecond: number;
  readonly latency: LatencySummary;
  /** Rows the server said came from its cache (PredictResponse.cached_rows), when the driver decodes responses. */
  readonly cachedRows?: number;
}
