/**
 * The few metrics every call or batch records, made cheap to record. prom-client hashes the label set on every
 * `observe`/`inc`, even on a child bound with `labels()`: profiled at one lead-scoring caller, the four
 * histogram observations and three counter increments of a call cost ~7 us of the main thread's ~250 (CPU
 * profile), where the call's own engine run costs ~50.
 *
 * - HotHistogram: a histogram whose bound child records with a bucket search and three additions. It lives in
 *   the same prom-client registry (it answers `get()` with the values prom-client's own Histogram gives, so
 *   /metrics reads exactly the same) but keeps its own counts.
 * - hotCounter: a prom-client Counter whose bound child adds to a plain number, folded into the counter by the
 *   counter's `collect` hook, which prom-client calls before every read of the metric (a scrape, `get()`).
 */
import { Counter, type Registry } from 'prom-client';

type Labels<L extends string> = Partial<Record<L, string | number>>;

/** The series key of a label set, after checking its names (what prom-client refuses, refused here too). */
function seriesKey<L extends string>(metric: string, labelNames: readonly L[], labels: Labels<L>): string {
  for (const k of Object.keys(labels)) {
    if (!labelNames.includes(k as L)) throw new Error(`${metric}: unknown label "${k}"`);
  }
  return labelNames.map((n) => String(labels[n] ?? '')).join('\u0000');
}

/** One label set's counts. */
class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly labels: Readonly<Record<string, string | number>>, readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (value <= (b[i] as number)) { (this.counts[i] as number)++; break; }
    }
    this.sum += value;
    this.count++;
  }
}

/** One line of a histogram's exposition: a bucket, the sum or the count of one series. */
interface HistogramValue { labels: Record<string, string | number>; value: number; metricName: string }

/** What a bound histogram child offers. */
export interface HotObserver {
  observe(value: number): void;
}

/** Settings as prom-client's Histogram takes them. */
export interface HotHistogramConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

/** A histogram whose hot path is a bucket search (see the file comment). */
export class HotHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #labelNames: readonly L[];
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(cfg: HotHistogramConfig<L>) {
    this.name = cfg.name;
    this.help = cfg.help;
    this.#labelNames = cfg.labelNames;
    this.#bounds = [...cfg.buckets].sort((a, b) => a - b);
    // The registry only calls get(), reset() and reads name/help/type/aggregator; its typings name its own classes.
    for (const r of cfg.registers) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of a label set, to observe into without a lookup per observation. */
  labels(labels: Labels<L>): HotObserver {
    const key = seriesKey(this.name, this.#labelNames, labels);
    let s = this.#series.get(key);
    if (!s) {
      const own: Record<string, string | number> = {};
      for (const n of this.#labelNames) if (labels[n] !== undefined) own[n] = labels[n] as string | number;
      s = new HistogramSeries(own, this.#bounds);
      this.#series.set(key, s);
    }
    return s;
  }

  /** One observation (looks the series up: hot paths keep the child from labels()). */
  observe(labels: Labels<L>, value: number): void {
    this.labels(labels).observe(value);
  }

  /**
   * Zeroes every series (prom-client's reset). In place: a bound child keeps recording into its series, which
   * reads again from its next observation.
   */
  reset(): void {
    for (const s of this.#series.values()) { s.counts.fill(0); s.sum = 0; s.count = 0; }
  }

  /** The metric as prom-client's Histogram reports it: cumulative buckets, +Inf, sum and count per series. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: HistogramValue[] }> {
    const values: HistogramValue[] = [];
    for (const s of this.#series.values()) {
      // A series bound (labels()) but not yet observed is not reported, as with prom-client.
      if (s.count === 0) continue;
      let acc = 0;
      this.#bounds.forEach((le, i) => {
        acc += s.counts[i] as number;
        values.push({ labels: { le, ...s.labels }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** What a bound counter child offers. */
export interface HotIncrementer {
  inc(n?: number): void;
}

/** A prom-client Counter plus `hot(labels)`: a child whose increments are folded in before every read. */
export type HotCounter<L extends string> = Counter<L> & { hot(labels: Labels<L>): HotIncrementer };

/** Settings as prom-client's Counter takes them. */
export interface HotCounterConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly registers: Registry[];
}

/** A Counter whose hot children add to plain numbers (see the file comment). */
export function hotCounter<L extends string>(cfg: HotCounterConfig<L>): HotCounter<L> {
  const pending = new Map<string, { labels: Labels<L>; n: number }>();
  const counter = new Counter<L>({
    name: cfg.name, help: cfg.help, labelNames: cfg.labelNames, registers: cfg.registers,
    collect() {
      for (const p of pending.values()) {
        if (p.n === 0) continue;
        const n = p.n;
        p.n = 0;
        this.inc(p.labels, n);
      }
    },
  }) as HotCounter<L>;
  // A reset also drops what the hot children added since the last read.
  const reset = counter.reset.bind(counter);
  counter.reset = () => {
    for (const p of pending.values()) p.n = 0;
    reset();
  };
  counter.hot = (labels) => {
    const key = seriesKey(cfg.name, cfg.labelNames, labels);
    let p = pending.get(key);
    if (!p) { p = { labels: { ...labels }, n: 0 }; pending.set(key, p); }
    const series = p;
    return { inc: (n = 1) => { series.n += n; } };
  };
  return counter;
}
