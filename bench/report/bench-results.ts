/** The results file bench/results/<timestamp>.json: everything measured plus the context to read it. */
import type { ProfileSummary } from '../scenarios/tuning-scenario.js';
import type { EnginePoint } from '../engine/engine-ceiling.js';
import type { OverloadResult } from '../scenarios/overload-scenario.js';
import type { ReloadResult } from '../scenarios/reload-scenario.js';
import type { FleetResult } from '../scenarios/fleet-scenario.js';
import type { Measurement } from '../scenarios/measurement.js';
import type { ZipfTraffic } from '../scenarios/cache-scenario.js';
import type { CostAssumptions, CostLine } from './cost-model.js';

/** Machine facts printed with every result (numbers mean nothing without them). */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly logicalCpus: number;
  readonly node: string;
  readonly platform: string;
}

/** A whole bench run. */
export interface BenchResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly mode: string;
  readonly tool: string;
  readonly scenarios: readonly string[];
  readonly workers: number;
  readonly machine: MachineInfo;
  readonly measurements: readonly Measurement[];
  readonly engine: readonly EnginePoint[];
  readonly zipf?: ZipfTraffic;
  /** The overload scenario's outcome, when it ran. */
  readonly overload?: OverloadResult;
  /** The reload scenario's outcome, when it ran. */
  readonly reload?: ReloadResult;
  /** Every bundled model's warm-up profile as the tuning scenario's server reported it. */
  readonly profiles?: readonly ProfileSummary[];
  /** The fleet scenario's outcome (memory budget, three residency policies), when it ran. */
  readonly fleet?: FleetResult;
  readonly costAssumptions: CostAssumptions;
  readonly cost: readonly CostLine[];
  readonly costConcurrency: number;
  readonly notes: readonly string[];
}
