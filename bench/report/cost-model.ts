/**
 * The cost model: measured predictions per server core-second per mode -> cores needed for a traffic
 * level -> monthly cost at a $/core-hour price, and each optimization's saving against its baseline.
 * Every input that is not measured is a flag with a default (docs/cost.md).
 */
import type { Measurement } from '../scenarios/measurement.js';

/** Assumptions (flags --traffic, --core-hour, --utilization). */
export interface CostAssumptions {
  /** Average predictions per second the fleet serves. */
  readonly predictionsPerSecond: number;
  /** Price of one vCPU-hour in dollars. */
  readonly dollarsPerCoreHour: number;
  /** Target average CPU utilization (headroom for peaks and failover). */
  readonly targetUtilization: number;
}

/** Defaults: a mid-size platform, typical on-demand x86 vCPU price, 60% target utilization. */
export const COST_DEFAULTS: CostAssumptions = Object.freeze({ predictionsPerSecond: 2_000, dollarsPerCoreHour: 0.048, targetUtilization: 0.6 });

/** Hours in an average month (8760 / 12). */
export const HOURS_PER_MONTH = 730;

/** The original plan's claims the report checks. */
export const PLAN_CLAIM = Object.freeze({ savingLow: 0.25, savingHigh: 0.35, dollarsPerYear: 145_000 });

/** One mode in the cost table. */
export interface CostLine {
  readonly mode: string;
  /** What the mode is compared with. */
  readonly baseline: string;
  readonly predictionsPerCoreSecond: number;
  readonly coresNeeded: number;
  readonly monthlyDollars: number;
  /** Fractional saving vs the baseline's monthly cost (0.3 = 30%). */
  readonly savingVsBaseline: number;
  /** Traffic at which this mode's saving vs its baseline reaches the plan's $/year figure. */
  readonly trafficForPlanDollars: number;
  readonly source: string;
}

/** Cores to serve `a.predictionsPerSecond` at `ppcs` predictions per core-second. */
export function coresNeeded(ppcs: number, a: CostAssumptions): number {
  return a.predictionsPerSecond / (ppcs * a.targetUtilization);
}

/** Monthly dollars for those cores. */
export function monthlyDollars(cores: number, a: CostAssumptions): number {
  return cores * a.dollarsPerCoreHour * HOURS_PER_MONTH;
}

function line(mode: string, baseline: string, ppcs: number, basePpcs: number, a: CostAssumptions, source: string): CostLine {
  const cores = coresNeeded(ppcs, a);
  const monthly = monthlyDollars(cores, a);
  const baseMonthly = monthlyDollars(coresNeeded(basePpcs, a), a);
  // Annual saving per prediction/s of traffic; the plan's dollars divided by it is the traffic it implies.
  const savingPerUnitTraffic = ((1 / (basePpcs * a.targetUtilization)) - (1 / (ppcs * a.targetUtilization))) * a.dollarsPerCoreHour * HOURS_PER_MONTH * 12;
  return {
    mode, baseline, predictionsPerCoreSecond: ppcs, coresNeeded: cores, monthlyDollars: monthly,
    savingVsBaseline: baseMonthly > 0 ? 1 - monthly / baseMonthly : 0,
    trafficForPlanDollars: savingPerUnitTraffic > 0 ? PLAN_CLAIM.dollarsPerYear / savingPerUnitTraffic : Infinity,
    source,
  };
}

const find = (ms: readonly Measurement[], pred: (m: Measurement) => boolean): Measurement | undefined => ms.find((m) => pred(m) && m.predictionsPerCoreSecond !== undefined && m.predictionsPerCoreSecond > 0);

/** Builds the cost table from measurements (modes whose inputs were not measured are left out). */
export function costTable(ms: readonly Measurement[], a: CostAssumptions, concurrency: number): CostLine[] {
  const out: CostLine[] = [];
  const at = (config: string, variant: string) => find(ms, (m) => m.scenario === 'batching' && m.config === config && m.variant === variant && m.concurrency === concurrency);
  const base = at('off', 'fp32');
  if (base) {
    const b = base.predictionsPerCoreSecond as number;
    const baseName = 'no batching, FP32, no cache';
    out.push(line(baseName, '-', b, b, a, `batching off, lead-intent FP32, c=${concurrency}`));
    for (const [mode, config, variant] of [['adaptive batching', 'adaptive', 'fp32'], ['window batching', 'window', 'fp32'], ['INT8, no batching', 'off', 'int8'], ['adaptive batching + INT8', 'adaptive', 'int8']] as const) {
      const m = at(config, variant);
      if (m) out.push(line(mode, baseName, m.predictionsPerCoreSecond as number, b, a, `batching ${config}, lead-intent ${variant.toUpperCase()}, c=${concurrency}`));
    }
  }
  const off = find(ms, (m) => m.scenario === 'cache' && m.config === 'off');
  const l1 = find(ms, (m) => m.scenario === 'cache' && m.config === 'L1');
  const l2 = find(ms, (m) => m.scenario === 'cache' && m.config === 'L1+L2');
  if (off) {
    const b = off.predictionsPerCoreSecond as number;
    out.push(line('cache off (Zipf traffic)', '-', b, b, a, 'lead-scoring, Zipf over 10,000 leads, cache bypassed'));
    if (l1) out.push(line('L1 cache (Zipf traffic)', 'cache off (Zipf traffic)', l1.predictionsPerCoreSecond as number, b, a, 'same traffic, in-process L1'));
    if (l2) out.push(line('L1+L2 cache (Zipf traffic)', 'cache off (Zipf traffic)', l2.predictionsPerCoreSecond as number, b, a, 'same traffic, L1 + Redis L2 (Redis CPU not counted)'));
  }
  return out;
}
