/** Command line of `npm run bench -- [scenario...] [--quick|--full] [options]`. */
import { parseArgs } from 'node:util';
import { COST_DEFAULTS, type CostAssumptions } from './report/cost-model.js';
import type { BenchMode } from './scenarios/bench-context.js';

/** Scenario names, in run order. */
export const SCENARIOS = ['naive', 'tuning', 'batching', 'variant', 'cache', 'mixed', 'limits', 'oip', 'overload', 'reload', 'fleet'] as const;
/**
 * What runs when no scenario is named: everything but the overload flood, the reloads and the fleet (three
 * servers replaying days of traffic), which are asked for by name.
 */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => s !== 'overload' && s !== 'reload' && s !== 'fleet');
/** One scenario name. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** Parsed options. */
export interface BenchArgs {
  readonly scenarios: readonly ScenarioName[];
  readonly mode: BenchMode;
  readonly tool: 'auto' | 'ghz' | 'h2load';
  readonly modelRepository: string;
  readonly workers: number | undefined;
  readonly outDir: string;
  readonly cost: CostAssumptions;
  /** Regenerate bench/ghz/*.json and the Zipf data files, then exit. */
  readonly writeGhz: boolean;
  readonly help: boolean;
}

/** Usage text. */
export const USAGE = `usage: npm run bench -- [scenario...] [--quick|--full] [options]
scenarios: ${SCENARIOS.join(', ')} (default: all but overload, reload and fleet)
  --quick            short points, fewer configurations (default; under 2 minutes)
  --full             publishable run (10 s points, all modes, 60 s mixed workload)
  --tool T           auto (ghz if on PATH, else h2load), ghz or h2load
  --models DIR       model repository (default: models)
  --workers N        engine workers per server (default: the server's default)
  --out DIR          results directory (default: bench/results)
  --traffic N        cost model: average predictions/s (default ${COST_DEFAULTS.predictionsPerSecond})
  --core-hour USD    cost model: $ per vCPU-hour (default ${COST_DEFAULTS.dollarsPerCoreHour})
  --utilization F    cost model: target CPU utilization 0-1 (default ${COST_DEFAULTS.targetUtilization})
  --write-ghz        regenerate bench/ghz/*.json and bench/ghz/data/* and exit`;

function positive(name: string, v: string | undefined, fallback: number, max = Infinity): number {
  if (v === undefined) return fallback;
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0 || x > max) throw new Error(`--${name}: expected a number in (0, ${max}], got "${v}"`);
  return x;
}

/** Parses argv (without node and script). Throws with a usage hint on bad input. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false }, full: { type: 'boolean', default: false },
      tool: { type: 'string' }, models: { type: 'string' }, workers: { type: 'string' }, out: { type: 'string' },
      traffic: { type: 'string' }, 'core-hour': { type: 'string' }, utilization: { type: 'string' },
      'write-ghz': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.quick && values.full) throw new Error('choose one of --quick and --full');
  for (const p of positionals) if (!(SCENARIOS as readonly string[]).includes(p)) throw new Error(`unknown scenario "${p}" (known: ${SCENARIOS.join(', ')})`);
  const tool = values.tool ?? 'auto';
  if (tool !== 'auto' && tool !== 'ghz' && tool !== 'h2load') throw new Error(`--tool: expected auto, ghz or h2load, got "${tool}"`);
  return {
    scenarios: positionals.length ? SCENARIOS.filter((s) => positionals.includes(s)) : [...DEFAULT_SCENARIOS],
    mode: values.full ? 'full' : 'quick',
    tool,
    modelRepository: values.models ?? 'models',
    workers: values.workers === undefined ? undefined : positive('workers', values.workers, 1, 256),
    outDir: values.out ?? 'bench/results',
    cost: {
      predictionsPerSecond: positive('traffic', values.traffic, COST_DEFAULTS.predictionsPerSecond),
      dollarsPerCoreHour: positive('core-hour', values['core-hour'], COST_DEFAULTS.dollarsPerCoreHour),
      targetUtilization: positive('utilization', values.utilization, COST_DEFAULTS.targetUtilization, 1),
    },
    writeGhz: values['write-ghz'] ?? false,
    help: values.help ?? false,
  };
}
