/**
 * Builds Open Inference Protocol ModelInferRequest payloads in proto3-JSON form (a ghz config's "data", with the
 * .proto's own field names): the same seeded rows as predictRequestJson, so OIP and hub.inference.v1 points of the
 * bench send identical features, as raw_input_contents (base64) the way tritonclient and perf_analyzer send them.
 */
import type { ModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { OIP_DATATYPE } from '../../src/kserve/oip-tensor-codec.js';
import type { RequestSpec } from './predict-requests.js';

/** hub-inference's OIP cache parameter for each hub.inference.v1 cache policy name. */
const CACHE_PARAM: Readonly<Record<string, string>> = { CACHE_POLICY_DEFAULT: 'default', CACHE_POLICY_BYPASS: 'bypass' };

/** A proto3-JSON ModelInferRequest for `cfg` with `rows` seeded rows (the rows predictRequestJson sends). */
export function inferRequestJson(cfg: ModelConfig, spec: RequestSpec): Record<string, unknown> {
  const tensors = sampleInputs(cfg, spec.rows, spec.seed);
  const inputs: Record<string, unknown>[] = [];
  const raw: string[] = [];
  for (const input of cfg.inputs) {
    const t = tensors[input.name];
    if (!t) throw new Error(`sampleInputs gave no tensor for ${cfg.name}.${input.name}`);
    inputs.push({ name: input.name, datatype: OIP_DATATYPE[t.dtype], shape: t.shape.map((d) => String(d)) });
    raw.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'));
  }
  const parameters: Record<string, unknown> = {};
  if (spec.variant && spec.variant !== 'VARIANT_AUTO') parameters['variant'] = { string_param: spec.variant.replace('VARIANT_', '').toLowerCase() };
  if (spec.cache && spec.cache !== 'CACHE_POLICY_DEFAULT') parameters['cache'] = { string_param: CACHE_PARAM[spec.cache] };
  return { model_name: cfg.name, inputs, raw_input_contents: raw, ...(Object.keys(parameters).length ? { parameters } : {}) };
}
