/**
 * The fleet benchmark's models and traffic: a CRM platform's per-tenant models whose traffic follows each
 * tenant's business day in its own time zone, two pinned platform-wide models that never sleep, a nightly
 * reporting model, and a few unannounced bursts (a campaign hitting a model outside its hours). Days repeat
 * the same schedule (the thing a usage profile can learn); the bursts do not. Arrivals are Poisson from a
 * seeded generator: the same options give the same calls, so every policy replays the same trace.
 */
import type { FleetModelSpec } from '../../models/builder/fleet-models.js';
import { seededRandom } from '../../src/repository/sample-inputs.js';

/** One model's daily schedule: calls per real second during [from, to) simulated UTC hours. */
export interface ModelSchedule {
  readonly model: string;
  /** Hours of the day it is busy; `to` may exceed 24 (wraps past midnight). Empty = always on. */
  readonly windows: readonly { readonly from: number; readonly to: number }[];
  readonly callsPerSecond: number;
}

/** An unannounced burst. */
export interface Burst {
  readonly model: string;
  /** Simulated hours from the trace start. */
  readonly atHour: number;
  readonly hours: number;
  readonly callsPerSecond: number;
}

/** One call of the trace. */
export interface TraceCall {
  /** Real ms from the trace start. */
  readonly atMs: number;
  readonly model: string;
}

/** The whole workload. */
export interface FleetTrace {
  readonly models: readonly FleetModelSpec[];
  readonly schedules: readonly ModelSchedule[];
  readonly bursts: readonly Burst[];
  readonly calls: readonly TraceCall[];
  readonly days: number;
  readonly secondsPerHour: number;
}

/** Trace knobs. */
export interface FleetTraceOptions {
  readonly days: number;
  /** Real seconds per simulated hour. */
  readonly secondsPerHour: number;
  readonly seed: number;
}

/** Tenants and the UTC hour their business day starts (time zones spread over the day). */
const TENANTS: readonly { readonly id: string; readonly start: number }[] = [
  { id: 't01', start: 0 }, { id: 't02', start: 3 }, { id: 't03', start: 5 }, { id: 't04', start: 8 },
  { id: 't05', start: 11 }, { id: 't06', start: 13 }, { id: 't07', start: 16 }, { id: 't08', start: 19 },
  { id: 't09', start: 21 },
];

/**
 * Each tenant runs three models at different parts of its day, each a differently sized MLP: lead scoring
 * all business day (8 h), message intent in the morning (3 h), valuations in the afternoon (4 h).
 */
const KINDS: readonly { readonly kind: string; readonly hidden: number; readonly inputs: number; readonly offset: number; readonly hours: number; readonly callsPerSecond: number }[] = [
  { kind: 'scoring', hidden: 256, inputs: 32, offset: 0, hours: 8, callsPerSecond: 24 },
  { kind: 'intent', hidden: 512, inputs: 64, offset: 1, hours: 3, callsPerSecond: 10 },
  { kind: 'valuation', hidden: 384, inputs: 24, offset: 4, hours: 4, callsPerSecond: 14 },
];

/** Builds the models, schedules, bursts and every call. */
export function fleetTrace(o: FleetTraceOptions): FleetTrace {
  const models: FleetModelSpec[] = [];
  const schedules: ModelSchedule[] = [];
  // Platform-wide models: pinned, always on (they must never pay a cold start).
  for (const [i, name] of ['global-scoring', 'global-dedupe'].entries()) {
    models.push({ name, seed: 100 + i, inputs: 32, hidden: [256, 256], priority: 100, pin: true });
    schedules.push({ model: name, windows: [], callsPerSecond: 12 });
  }
  // A nightly reporting job.
  models.push({ name: 'nightly-report', seed: 200, inputs: 32, hidden: [512, 512], priority: 5 });
  schedules.push({ model: 'nightly-report', windows: [{ from: 2, to: 4 }], callsPerSecond: 20 });
  TENANTS.forEach((t, ti) => {
    KINDS.forEach((k, ki) => {
      const name = `${t.id}-${k.kind}`;
      // Static priorities follow tenant size (earlier tenants were onboarded first and pay more): plausible,
      // and unrelated to the hour their traffic comes.
      models.push({ name, seed: 1000 + ti * 10 + ki, inputs: k.inputs, hidden: [k.hidden, k.hidden], priority: 90 - ti * 5 - ki });
      const from = t.start + k.offset;
      schedules.push({ model: name, windows: [{ from, to: from + k.hours }], callsPerSecond: k.callsPerSecond });
    });
  });
  const rand = seededRandom(o.seed);
  const bursts: Burst[] = [];
  const tenantModels = models.filter((m) => /^t\d\d-/.test(m.name));
  for (let d = 0; d < o.days; d++) {
    for (let b = 0; b < 2; b++) {
      const model = tenantModels[Math.floor(rand() * tenantModels.length)] as FleetModelSpec;
      const sched = schedules.find((s) => s.model === model.name) as ModelSchedule;
      // Outside the model's own hours, so no profile could have predicted it.
      let hour = 0;
      for (let tries = 0; tries < 50; tries++) {
        hour = Math.floor(rand() * 24 * 4) / 4;
        if (!busyAt(sched, hour) && !busyAt(sched, hour + 0.5)) break;
      }
      bursts.push({ model: model.name, atHour: d * 24 + hour, hours: 0.5, callsPerSecond: 30 });
    }
  }
  const calls = generateCalls(schedules, bursts, o, rand);
  return { models, schedules, bursts, calls, days: o.days, secondsPerHour: o.secondsPerHour };
}

/** Whether a schedule is busy at an hour of the day (0-24, wrapping). */
export function busyAt(s: ModelSchedule, hourOfDay: number): boolean {
  if (s.windows.length === 0) return true;
  const h = ((hourOfDay % 24) + 24) % 24;
  return s.windows.some((w) => (h >= w.from && h < w.to) || (h + 24 >= w.from && h + 24 < w.to));
}

/** Poisson arrivals at each schedule's and burst's rate, in real ms from the trace start. */
function generateCalls(schedules: readonly ModelSchedule[], bursts: readonly Burst[], o: FleetTraceOptions, rand: () => number): TraceCall[] {
  const hourMs = o.secondsPerHour * 1000;
  const endMs = o.days * 24 * hourMs;
  const calls: TraceCall[] = [];
  const arrivals = (model: string, fromMs: number, toMs: number, perSecond: number, busy: (ms: number) => boolean): void => {
    let t = fromMs;
    for (;;) {
      t += (-Math.log(1 - rand()) / perSecond) * 1000;
      if (t >= toMs) return;
      if (busy(t)) calls.push({ atMs: t, model });
    }
  };
  for (const s of schedules) arrivals(s.model, 0, endMs, s.callsPerSecond, (ms) => busyAt(s, (ms / hourMs) % 24));
  for (const b of bursts) arrivals(b.model, b.atHour * hourMs, Math.min(endMs, (b.atHour + b.hours) * hourMs), b.callsPerSecond, () => true);
  return calls.sort((a, b) => a.atMs - b.atMs);
}

/** Models busy (scheduled) at each hour of the day: the resident set a perfect predictor would want. */
export function busyModelsByHour(trace: FleetTrace): number[] {
  return Array.from({ length: 24 }, (_, h) => trace.schedules.filter((s) => busyAt(s, h + 0.5)).length);
}
