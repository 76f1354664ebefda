/**
 * Parses ghz's JSON report (`--format json` / `pretty`). Durations in that report are Go
 * time.Duration values: integer nanoseconds. latencyDistribution lists the percentiles ghz computed
 * (10, 25, 50, 75, 90, 95, 99); statusCodeDistribution counts gRPC status names.
 */

/** The numbers the bench uses from one ghz report. */
export interface GhzSummary {
  readonly count: number;
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly okCount: number;
  /** Calls whose status was not OK, without ghz's own end-of-run cut-offs. */
  readonly errorCount: number;
  /**
   * Calls ghz itself cut when its run ended (it closes the connection under calls still in flight:
   * `Unavailable ... use of closed network connection`, `transport is closing`, `context canceled`).
   * They are the load generator's, not the server's: counted apart, never as server errors.
   */
  readonly cutOffCount: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly endReason: string;
}

const NS_PER_MS = 1e6;

/** Error texts ghz produces when it tears its own connections down at the end of a run. */
const CUT_OFF = /use of closed network connection|transport is closing|context canceled|client connection is closing|error reading from server: EOF/i;

function num(obj: Record<string, unknown>, key: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`ghz report: "${key}" is not a number`);
  return v;
}

function counts(v: unknown): Record<string, number> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object') throw new Error('ghz report: a distribution is not an object');
  const out: Record<string, number> = {};
  for (const [k, c] of Object.entries(v as Record<string, unknown>)) out[k] = Number(c);
  return out;
}

/** Parses the text of a ghz JSON report. */
export function parseGhzReport(text: string): GhzSummary {
  const r = JSON.parse(text) as Record<string, unknown>;
  const dist = Array.isArray(r['latencyDistribution']) ? (r['latencyDistribution'] as Record<string, unknown>[]) : [];
  const at = (p: number): number => {
    const e = dist.find((d) => Number(d['percentage']) === p);
    return e ? Number(e['latency']) / NS_PER_MS : Number.NaN;
  };
  const statusCodes = counts(r['statusCodeDistribution']);
  const count = num(r, 'count');
  const okCount = statusCodes['OK'] ?? 0;
  const errors = counts(r['errorDistribution']);
  const cutOffCount = Object.entries(errors).filter(([text]) => CUT_OFF.test(text)).reduce((a, [, c]) => a + c, 0);
  return {
    count,
    durationSeconds: num(r, 'total') / 1e9,
    requestsPerSecond: num(r, 'rps'),
    meanMs: num(r, 'average') / NS_PER_MS,
    p50Ms: at(50),
    p95Ms: at(95),
    p99Ms: at(99),
    maxMs: num(r, 'slowest') / NS_PER_MS,
    okCount,
    errorCount: count - okCount - cutOffCount,
    cutOffCount,
    statusCodes,
    errors,
    endReason: typeof r['endReason'] === 'string' ? r['endReason'] : '',
  };
}
