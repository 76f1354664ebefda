/**
 * Builds PredictRequest payloads in proto3-JSON form (the form a ghz config's "data" takes): bytes as
 * base64, enums by name, int64 as strings. Inputs come from the model's own config `sample` specs via the
 * server's seeded generator, so benchmark rows look like the rows warm-up and calibration use.
 */
import path from 'node:path';
import { readModelConfig, type ModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import type { DType } from '../../src/tensor/tensor.js';

/** proto DataType enum names by tensor dtype. */
const DTYPE_ENUM: Readonly<Record<DType, string>> = {
  float32: 'DATA_TYPE_FLOAT32', float16: 'DATA_TYPE_FLOAT16', int64: 'DATA_TYPE_INT64',
  int32: 'DATA_TYPE_INT32', uint8: 'DATA_TYPE_UINT8', bool: 'DATA_TYPE_BOOL',
};

/** Request variant as the proto enum name. */
export type VariantName = 'VARIANT_AUTO' | 'VARIANT_FP32' | 'VARIANT_INT8';
/** Request cache policy as the proto enum name. */
export type CachePolicyName = 'CACHE_POLICY_DEFAULT' | 'CACHE_POLICY_BYPASS';

/** What one request should carry. */
export interface RequestSpec {
  readonly rows: number;
  readonly seed: number;
  readonly variant?: VariantName;
  readonly cache?: CachePolicyName;
}

/** Reads models/<name>/config.json from a model repository. */
export function loadModelConfig(repository: string, model: string): ModelConfig {
  return readModelConfig(path.join(repository, model, 'config.json'), model);
}

/** A proto3-JSON PredictRequest for `cfg` with `rows` seeded rows. */
export function predictRequestJson(cfg: ModelConfig, spec: RequestSpec): Record<string, unknown> {
  const tensors = sampleInputs(cfg, spec.rows, spec.seed);
  const inputs = cfg.inputs.map((input) => {
    const t = tensors[input.name];
    if (!t) throw new Error(`sampleInputs gave no tensor for ${cfg.name}.${input.name}`);
    return {
      name: input.name,
      dtype: DTYPE_ENUM[t.dtype],
      shape: t.shape.map((d) => String(d)),
      raw: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'),
    };
  });
  const req: Record<string, unknown> = { model: cfg.name, inputs };
  if (spec.variant && spec.variant !== 'VARIANT_AUTO') req['variant'] = spec.variant;
  if (spec.cache && spec.cache !== 'CACHE_POLICY_DEFAULT') req['cache'] = spec.cache;
  return req;
}
