/**
 * hub-inference's extras in OIP `parameters` (the specification leaves parameters to each server). Request:
 * `variant`, `cache`, `raw_output`; response: the variant that ran and the timing hub.inference.v1 puts in Timing,
 * plus `cached_rows`. Unknown or mistyped parameters are refused: a misspelt "varient" silently ignored would
 * make a caller believe INT8 ran. README "Open Inference Protocol" documents each name.
 */
import { InferenceError } from '../errors/index.js';
import type { CachePolicyName, VariantRequest } from '../proto/enums.js';
import type { VariantName } from '../repository/model-repository.js';
import type { InferParameterMessage, InferParameters } from './oip-messages.js';

/** Request parameter names hub-inference reads, and what each takes. */
export const REQUEST_PARAMETERS = Object.freeze({
  variant: 'string: auto, fp32, int8 or fp16 (default auto: the model\'s configured policy)',
  cache: 'string: default, bypass or refresh (default default)',
  raw_output: 'bool: answer in raw_output_contents (true) or typed contents (false); default: the form the inputs came in',
} as const);

/** Response parameter names hub-inference sets. */
export const RESPONSE_PARAMETERS = Object.freeze({
  variant: 'string: the variant that ran (fp32, int8 or fp16)',
  queue_us: 'int64: time the computed rows waited in the batch queue, microseconds (0 when every row was cached)',
  compute_us: 'int64: engine time of the batch that computed them, microseconds',
  batch_size: 'int64: rows in that engine batch (0 when every row was cached)',
  cached_rows: 'int64: rows answered from the cache',
  total_us: 'int64: time in the server from decode to encode, microseconds',
} as const);

const VARIANTS: readonly VariantRequest[] = ['auto', 'fp32', 'int8', 'fp16'];
const CACHE_POLICIES: readonly CachePolicyName[] = ['default', 'bypass', 'refresh'];

/** The request parameters, parsed. `rawOutput` is undefined when the caller did not choose. */
export interface InferOptions {
  readonly variant: VariantRequest;
  readonly cache: CachePolicyName;
  readonly rawOutput: boolean | undefined;
}

const DEFAULTS: InferOptions = Object.freeze({ variant: 'auto', cache: 'default', rawOutput: undefined });

function invalid(msg: string): InferenceError {
  return new InferenceError('INVALID_REQUEST', msg);
}

function stringParam(key: string, p: InferParameterMessage, allowed: readonly string[]): string {
  if (p.parameterChoice !== 'stringParam') throw invalid(`parameter "${key}" must be a string_param (one of ${allowed.join(', ')}), got ${p.parameterChoice ?? 'no value'}`);
  const v = (p.stringParam ?? '').toLowerCase();
  if (!allowed.includes(v)) throw invalid(`parameter "${key}" is "${(p.stringParam ?? '').slice(0, 32)}"; use one of ${allowed.join(', ')}`);
  return v;
}

/** Parses the request parameters; refuses unknown names and wrong value types. */
export function parseInferParameters(params: InferParameters): InferOptions {
  const keys = Object.keys(params);
  if (keys.length === 0) return DEFAULTS;
  let { variant, cache, rawOutput } = DEFAULTS;
  for (const key of keys) {
    const p = params[key] as InferParameterMessage;
    switch (key) {
      case 'variant': variant = stringParam(key, p, VARIANTS) as VariantRequest; break;
      case 'cache': cache = stringParam(key, p, CACHE_POLICIES) as CachePolicyName; break;
      case 'raw_output':
        if (p.parameterChoice !== 'boolParam') throw invalid(`parameter "raw_output" must be a bool_param, got ${p.parameterChoice ?? 'no value'}`);
        rawOutput = p.boolParam === true;
        break;
      default:
        throw invalid(`unknown parameter "${key.slice(0, 64)}"; hub-inference reads: ${Object.keys(REQUEST_PARAMETERS).join(', ')}`);
    }
  }
  return { variant, cache, rawOutput };
}

/** Refuses parameters on a tensor: hub-inference defines none (no shared memory, no classification). */
export function refuseTensorParameters(kind: 'input' | 'output', name: string, params: InferParameters): void {
  const keys = Object.keys(params);
  if (keys.length === 0) return;
  throw invalid(`${kind} "${name.slice(0, 64)}" carries parameters (${keys.map((k) => k.slice(0, 64)).join(', ')}); hub-inference takes none on tensors` +
    (kind === 'input' ? ' (no shared memory: send contents or raw_input_contents)' : ''));
}

/** What a prediction reports, for the response parameters. */
export interface InferReport {
  readonly variant: VariantName;
  readonly queueUs: number;
  readonly computeUs: number;
  readonly batchSize: number;
  readonly cachedRows: number;
  readonly totalUs: number;
}

/** The response parameters. */
export function responseParameters(r: InferReport): Record<keyof typeof RESPONSE_PARAMETERS, { stringParam: string } | { int64Param: number }> {
  return {
    variant: { stringParam: r.variant },
    queue_us: { int64Param: Math.round(r.queueUs) },
    compute_us: { int64Param: Math.round(r.computeUs) },
    batch_size: { int64Param: r.batchSize },
    cached_rows: { int64Param: r.cachedRows },
    total_us: { int64Param: Math.round(r.totalUs) },
  };
}
