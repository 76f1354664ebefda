/**
 * Parses h2load's text report and its per-request --log-file. h2load prints min/max/mean/sd of request
 * time but no percentiles, so percentiles come from the log file (one line per request: start time in
 * microseconds since the epoch, HTTP status, elapsed microseconds; tab-separated).
 */

/** The numbers of one h2load run's text report. */
export interface H2loadSummary {
  readonly durationSeconds: number;
  readonly requestsPerSecond: number;
  readonly requests: {
    readonly total: number; readonly started: number; readonly done: number; readonly succeeded: number;
    readonly failed: number; readonly errored: number; readonly timeout: number;
  };
  readonly status: { readonly '2xx': number; readonly '3xx': number; readonly '4xx': number; readonly '5xx': number };
  /** Request time in milliseconds. */
  readonly requestTimeMs: { readonly min: number; readonly max: number; readonly mean: number; readonly sd: number };
}

/** One request of the --log-file. */
export interface H2loadLogEntry {
  readonly startUs: number;
  readonly status: number;
  readonly elapsedUs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

/** Converts an h2load duration such as "4.26ms", "196us" or "1.65s" to milliseconds. */
export function durationToMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) throw new Error(`h2load: cannot read duration "${text}"`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

function need(re: RegExp, text: string, what: string): RegExpExecArray {
  const m = re.exec(text);
  if (!m) throw new Error(`h2load output has no ${what} line (did h2load fail to start?):\n${text.slice(-800)}`);
  return m;
}

/** Parses h2load's stdout. Throws naming the missing line when the report is incomplete. */
export function parseH2loadOutput(text: string): H2loadSummary {
  const fin = need(/^finished in ([\d.]+(?:us|ms|s)), ([\d.]+) req\/s/m, text, '"finished in"');
  const req = need(/^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m, text, '"requests:"');
  const st = need(/^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m, text, '"status codes:"');
  const t = need(/^time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/m, text, '"time for request:"');
  const n = (m: RegExpExecArray, i: number): number => Number(m[i]);
  return {
    durationSeconds: durationToMs(fin[1] as string) / 1000,
    requestsPerSecond: Number(fin[2]),
    requests: { total: n(req, 1), started: n(req, 2), done: n(req, 3), succeeded: n(req, 4), failed: n(req, 5), errored: n(req, 6), timeout: n(req, 7) },
    status: { '2xx': n(st, 1), '3xx': n(st, 2), '4xx': n(st, 3), '5xx': n(st, 4) },
    requestTimeMs: { min: durationToMs(t[1] as string), max: durationToMs(t[2] as string), mean: durationToMs(t[3] as string), sd: durationToMs(t[4] as string) },
  };
}

/** Parses the --log-file (blank lines ignored; malformed lines are an error). */
export function parseH2loadLog(text: string): H2loadLogEntry[] {
  const out: H2loadLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const parts = line.split('\t');
    if (parts.length < 3) throw new Error(`h2load log: malformed line "${line}"`);
    const [start, status, elapsed] = parts.map(Number) as [number, number, number];
    if (![start, status, elapsed].every(Number.isFinite)) throw new Error(`h2load log: malformed line "${line}"`);
    out.push({ startUs: start, status, elapsedUs: elapsed });
  }
  return out;
}
