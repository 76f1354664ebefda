/**
 * A small reader of the Prometheus text exposition format (what prom-client serves at /metrics), enough
 * to sum counters by label: the bench reads error counts, rows, executions and cache hits from it.
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** Parses exposition text into samples (comments and blank lines skipped). */
export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      for (const l of m[2].matchAll(LABEL)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1] as string, labels, value: parseValue(m[3] as string) });
  }
  return out;
}

/** A label filter: exact value, or `{ not: value }`. */
export type LabelFilter = Readonly<Record<string, string | { readonly not: string }>>;

/** Sums every sample of `name` whose labels pass `filter`. */
export function sumSamples(samples: readonly Sample[], name: string, filter: LabelFilter = {}): number {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    let ok = true;
    for (const [k, want] of Object.entries(filter)) {
      const have = s.labels[k];
      if (typeof want === 'string' ? have !== want : have === want.not) { ok = false; break; }
    }
    if (ok) total += s.value;
  }
  return total;
}

/** Fetches and parses http://<address>/metrics. */
export async function scrapeMetrics(address: string): Promise<Sample[]> {
  const res = await fetch(`http://${address}/metrics`);
  if (!res.ok) throw new Error(`GET http://${address}/metrics: HTTP ${res.status}`);
  return parsePrometheusText(await res.text());
}
