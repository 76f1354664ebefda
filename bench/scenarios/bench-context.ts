/** What every scenario gets: where things are, which load tool, how long to measure, how to report progress. */
import type { LoadTool } from '../load/load-result.js';

/** Run length presets. */
export type BenchMode = 'smoke' | 'quick' | 'full';

/** Durations and sweep sizes of one mode. */
export interface ModeSettings {
  readonly pointSeconds: number;
  readonly warmupSeconds: number;
  readonly concurrencies: readonly number[];
  readonly batchingModes: readonly ('off' | 'window' | 'adaptive')[];
  readonly zipfRequests: number;
  readonly mixedSeconds: number;
  readonly mixedConcurrency: number;
  readonly engineSeconds: number;
  readonly engineBatches: readonly number[];
}

/** Quick fits in under two minutes on the 2-core build machine; full is the publishable run. */
export const MODES: Readonly<Record<BenchMode, ModeSettings>> = {
  smoke: { pointSeconds: 1, warmupSeconds: 0.3, concurrencies: [4], batchingModes: ['adaptive'], zipfRequests: 500, mixedSeconds: 1, mixedConcurrency: 20, engineSeconds: 0.3, engineBatches: [8] },
  quick: { pointSeconds: 1.5, warmupSeconds: 0.4, concurrencies: [1, 16, 64, 256], batchingModes: ['off', 'adaptive'], zipfRequests: 4_000, mixedSeconds: 6, mixedConcurrency: 128, engineSeconds: 1, engineBatches: [1, 8, 32] },
  full: { pointSeconds: 10, warmupSeconds: 2, concurrencies: [1, 16, 64, 128, 256], batchingModes: ['off', 'window', 'adaptive'], zipfRequests: 50_000, mixedSeconds: 60, mixedConcurrency: 128, engineSeconds: 5, engineBatches: [1, 8, 16, 32, 64, 128] },
};

/** Shared state of a bench run. */
export interface BenchContext {
  /** Repository root (holds dist/, proto/, bench/ghz/). */
  readonly root: string;
  readonly modelRepository: string;
  readonly mode: BenchMode;
  readonly settings: ModeSettings;
  /** Load generator for fixed-request scenarios. */
  readonly tool: Exclude<LoadTool, 'node-http2'>;
  /** Engine worker threads per server (HUB_WORKERS); also the engine-ceiling thread count. */
  readonly workers: number;
  readonly progress: (line: string) => void;
}
