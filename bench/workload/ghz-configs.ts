/**
 * The ghz configs in bench/ghz/ (one per scenario) and the data files of the Zipf scenario, generated
 * from the bench model signatures with fixed seeds. Keys follow ghz's documented config format
 * (runner.Config JSON tags: proto, import-paths, call, host, insecure, concurrency, connections, total,
 * duration, timeout, data, data-file, format, name). Run them from the repository root:
 * `ghz --config bench/ghz/<name>.json` (ghz resolves relative paths against the working directory).
 */
import { SERVICE_NAME } from '../load/grpc-codec.js';
import { benchModelConfig, MIXED_SHARES, type BenchModel } from './bench-models.js';
import { predictRequestJson, type CachePolicyName, type VariantName } from './predict-requests.js';
import { zipfSampler } from './zipf.js';
import { inferRequestJson } from './oip-requests.js';
import { OIP_SERVICE_NAME } from '../../src/kserve/oip-proto.js';

/** A ghz config as written to bench/ghz/<file>. */
export type GhzConfig = Record<string, unknown> & { name: string; call: string };

/** Zipf scenario parameters (README: 10,000 distinct leads). */
export const ZIPF = Object.freeze({ model: 'lead-scoring' as BenchModel, distinct: 10_000, exponent: 1.0, seed: 42, fullRequests: 50_000, quickRequests: 15_000 });

/** Where the generated Zipf data files live (relative to the repository root; ~15 MB, not committed: `npm run setup` and `npm run bench:data` write them). */
export const ZIPF_DATA_FILES = Object.freeze({ cached: 'bench/ghz/data/zipf-lead-scoring.json', bypass: 'bench/ghz/data/zipf-lead-scoring-bypass.json' });

/** The model the FP32-vs-INT8 scenario uses (the heaviest bundled model, where INT8 matters). */
export const VARIANT_MODEL: BenchModel = 'lead-intent';

const common = (name: string, call: string, concurrency: number, duration: string | undefined): GhzConfig => ({
  name,
  proto: 'proto/hub/inference/v1/inference.proto',
  'import-paths': ['proto'],
  call: `${SERVICE_NAME}.${call}`,
  host: '127.0.0.1:50051',
  insecure: true,
  concurrency,
  connections: Math.min(4, concurrency),
  ...(duration ? { duration } : {}),
  timeout: '20s',
  format: 'json',
  // No `output`: ghz prints the JSON report to stdout (redirect it anywhere); a path into a directory that a
  // fresh clone does not have fails before the first call. The bench runner passes its own --output.
});

/**
 * An Open Inference Protocol config: no proto file, so ghz describes inference.GRPCInferenceService through the
 * server's reflection, as it would against Triton or any OIP server.
 */
const oipCommon = (name: string, call: string, concurrency: number, duration: string): GhzConfig => {
  const { proto: _proto, 'import-paths': _importPaths, ...rest } = common(name, call, concurrency, duration);
  void _proto; void _importPaths;
  return { ...rest, call: `${OIP_SERVICE_NAME}.${call}` };
};

function predict(model: BenchModel, rows: number, seed: number, variant?: VariantName, cache: CachePolicyName = 'CACHE_POLICY_BYPASS'): Record<string, unknown> {
  return predictRequestJson(benchModelConfig(model), { rows, seed, cache, ...(variant ? { variant } : {}) });
}

/** Every committed ghz config, by file name. */
export function ghzConfigs(): Record<string, GhzConfig> {
  const out: Record<string, GhzConfig> = {};
  const add = (c: GhzConfig): void => { out[`${c.name}.json`] = c; };
  // Batching: single-row lead-intent calls; the runner sweeps concurrency 1..256 with --concurrency.
  // Several distinct rows (round-robin) so identical in-flight rows cannot be collapsed into one.
  // FP32 is pinned so the server's INT8-under-AUTO choice cannot blur the batching comparison.
  add({ ...common('batching-lead-intent', 'Predict', 64, '30s'), data: [1, 2, 3, 4, 5, 6, 7, 8].map((s) => predict('lead-intent', 1, s, 'VARIANT_FP32')) });
  for (const variant of ['FP32', 'INT8'] as const) {
    for (const rows of [1, 32]) {
      add({ ...common(`variant-${variant.toLowerCase()}-${rows}rows`, 'Predict', 16, '30s'), data: [1, 2, 3, 4].map((s) => predict(VARIANT_MODEL, rows, 100 + s, `VARIANT_${variant}`)) });
    }
  }
  // Cache: one pass over a Zipf sequence (ghz sends a unary data array round-robin, in order).
  const zipfBase = { ...common('cache-zipf', 'Predict', 64, undefined), total: ZIPF.fullRequests };
  add({ ...zipfBase, 'data-file': ZIPF_DATA_FILES.cached });
  add({ ...zipfBase, name: 'cache-off-zipf', 'data-file': ZIPF_DATA_FILES.bypass });
  // Mixed: the three models at realistic shares, 128 callers for 60 s.
  const mixed: Record<string, unknown>[] = [];
  let seed = 200;
  for (const [model, share] of Object.entries(MIXED_SHARES) as [BenchModel, number][]) {
    for (let i = 0; i < share; i++) mixed.push(predict(model, 1, seed++));
  }
  add({ ...common('mixed', 'Predict', 128, '60s'), data: mixed });
  // hub beside the plain server a user would write (bench/naive/): one FP32 row per call, cache bypassed.
  for (const model of ['lead-scoring', 'property-valuation', 'lead-intent'] as const) {
    add({ ...common(`compare-${model}-fp32`, 'Predict', 1, '15s'), data: [1, 2, 3, 4].map((s) => predict(model, 1, 400 + s, 'VARIANT_FP32')) });
  }
  // Tuning: each model, one row per call, per served variant, for AUTO beside the better of FP32 and INT8.
  for (const model of ['lead-scoring', 'property-valuation', 'lead-intent'] as const) {
    for (const variant of ['FP32', 'INT8', 'AUTO'] as const) {
      if (variant === 'INT8' && model === 'property-valuation') continue; // the bundled models quantize only these two
      add({ ...common(`tuning-${model}-${variant.toLowerCase()}`, 'Predict', 64, '15s'), data: [1, 2, 3, 4].map((s) => predict(model, 1, 500 + s, `VARIANT_${variant}`)) });
    }
  }
  // Physical limits: a trivial round trip and the smallest model.
  add({ ...common('transport-list-models', 'ListModels', 64, '15s'), data: {} });
  add({ ...common('transport-lead-scoring', 'Predict', 64, '15s'), data: [1, 2, 3, 4].map((s) => predict('lead-scoring', 1, 300 + s)) });
  // The same rows as transport-lead-scoring through OIP ModelInfer (raw_input_contents): OIP beside Predict.
  add({ ...oipCommon('oip-lead-scoring', 'ModelInfer', 64, '15s'), data: [1, 2, 3, 4].map((s) => inferRequestJson(benchModelConfig('lead-scoring'), { rows: 1, seed: 300 + s, cache: 'CACHE_POLICY_BYPASS' })) });
  return out;
}

/** The Zipf request sequence: lead ranks drawn from Zipf(s) over `distinct` leads. */
export function zipfRanks(requests: number): number[] {
  const draw = zipfSampler(ZIPF.distinct, ZIPF.exponent, ZIPF.seed);
  return Array.from({ length: requests }, () => draw());
}

/** proto3-JSON requests for a rank sequence; lead k always has the same features (seed = 10_000 + k). */
export function zipfRequests(ranks: readonly number[], cache: CachePolicyName): Record<string, unknown>[] {
  const cfg = benchModelConfig(ZIPF.model);
  const memo = new Map<number, Record<string, unknown>>();
  return ranks.map((k) => {
    let r = memo.get(k);
    if (!r) { r = predictRequestJson(cfg, { rows: 1, seed: 10_000 + k, cache }); memo.set(k, r); }
    return r;
  });
}
