/**
 * The bundled models' signatures as the benchmarks assume them (README "Bundled models"). ghz configs
 * are generated from these so they do not depend on built model files; a unit test checks them against
 * models/<name>/config.json whenever the models are built, so drift is caught.
 */
import { parseModelConfig, type ModelConfig } from '../../src/repository/model-config.js';

/** Bundled model names. */
export type BenchModel = 'lead-scoring' | 'property-valuation' | 'lead-intent';

const RAW: Readonly<Record<BenchModel, unknown>> = {
  'lead-scoring': {
    name: 'lead-scoring', maxBatchSize: 128,
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 32], sample: { kind: 'normal', mean: 0, std: 1 } }],
    outputs: [{ name: 'probability', dtype: 'float32', shape: [-1, 1] }],
  },
  'property-valuation': {
    name: 'property-valuation', maxBatchSize: 128,
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 24], sample: { kind: 'normal', mean: 0, std: 1 } }],
    outputs: [{ name: 'value', dtype: 'float32', shape: [-1, 1] }],
  },
  'lead-intent': {
    name: 'lead-intent', maxBatchSize: 64,
    inputs: [
      { name: 'input_ids', dtype: 'int64', shape: [-1, 64], sample: { kind: 'uniform', min: 1, max: 8191 } },
      { name: 'attention_mask', dtype: 'int64', shape: [-1, 64], sample: { kind: 'mask', minLength: 4 } },
    ],
    outputs: [{ name: 'logits', dtype: 'float32', shape: [-1, 8] }],
  },
};

/** Every bundled model. */
export const BENCH_MODELS: readonly BenchModel[] = ['lead-scoring', 'property-valuation', 'lead-intent'];

/** The validated config of a bundled model's signature (as the bench assumes it). */
export function benchModelConfig(model: BenchModel): ModelConfig {
  return parseModelConfig(RAW[model], `bench signature of ${model}`);
}

/**
 * Realistic request shares of the mixed workload: lead scoring runs on every lead event, intent on every
 * inbound message, valuation when a property is viewed or listed.
 */
export const MIXED_SHARES: Readonly<Record<BenchModel, number>> = { 'lead-scoring': 5, 'lead-intent': 3, 'property-valuation': 2 };
