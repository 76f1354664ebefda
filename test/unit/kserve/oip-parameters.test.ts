import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { oipPackageDefinition, oipServiceDefinition } from '../../../src/kserve/oip-proto.js';
import { parseInferParameters, refuseTensorParameters, REQUEST_PARAMETERS, RESPONSE_PARAMETERS, responseParameters } from '../../../src/kserve/oip-parameters.js';
import type { InferParameters } from '../../../src/kserve/oip-messages.js';
import { InferenceError } from '../../../src/errors/index.js';

const infer = (oipPackageDefinition()['inference.GRPCInferenceService'] as Record<string, any>)['ModelInfer'];
/** Parameters as the handler receives them (through the wire). */
const params = (p: Record<string, unknown>): InferParameters => infer.requestDeserialize(infer.requestSerialize({ parameters: p })).parameters;
const refusal = (fn: () => unknown): string => {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(InferenceError); expect((e as InferenceError).code).toBe('INVALID_REQUEST'); return (e as Error).message; }
  throw new Error('expected a refusal');
};

describe('request parameters', () => {
  it('default to the auto variant, the default cache policy and no output-form choice', () => {
    expect(parseInferParameters(params({}))).toEqual({ variant: 'auto', cache: 'default', rawOutput: undefined });
  });

  it('read variant, cache (any letter case) and raw_output', () => {
    expect(parseInferParameters(params({ variant: { stringParam: 'INT8' }, cache: { stringParam: 'bypass' }, raw_output: { boolParam: false } })))
      .toEqual({ variant: 'int8', cache: 'bypass', rawOutput: false });
    expect(parseInferParameters(params({ raw_output: { boolParam: true } })).rawOutput).toBe(true);
  });

  it('refuse unknown names, unknown values and wrong value types', () => {
    expect(refusal(() => parseInferParameters(params({ priority: { int64Param: 1 } })))).toBe('unknown parameter "priority"; hub-inference reads: variant, cache, raw_output');
    expect(refusal(() => parseInferParameters(params({ variant: { stringParam: 'bf16' } })))).toBe('parameter "variant" is "bf16"; use one of auto, fp32, int8, fp16');
    expect(refusal(() => parseInferParameters(params({ cache: { boolParam: true } })))).toMatch(/parameter "cache" must be a string_param .* got boolParam/);
    expect(refusal(() => parseInferParameters(params({ raw_output: { int64Param: 1 } })))).toBe('parameter "raw_output" must be a bool_param, got int64Param');
  });

  it('are refused on tensors', () => {
    expect(() => refuseTensorParameters('input', 'x', params({}))).not.toThrow();
    expect(refusal(() => refuseTensorParameters('output', 'y', params({ binary_data: { boolParam: true } })))).toBe('output "y" carries parameters (binary_data); hub-inference takes none on tensors');
  });
});

describe('response parameters', () => {
  it('carry the variant and whole-microsecond timings, and survive the wire', () => {
    const p = responseParameters({ variant: 'int8', queueUs: 12.6, computeUs: 300.2, batchSize: 8, cachedRows: 1, totalUs: 455.5 });
    const back = infer.responseDeserialize(oipServiceDefinition()['ModelInfer']!.responseSerialize({ parameters: p })).parameters;
    const value = (k: string): unknown => back[k][back[k].parameterChoice];
    expect(Object.keys(back).sort()).toEqual(Object.keys(RESPONSE_PARAMETERS).sort());
    expect([value('variant'), value('queue_us'), value('compute_us'), value('batch_size'), value('cached_rows'), value('total_us')]).toEqual(['int8', '13', '300', '8', '1', '456']);
  });
});

describe('README', () => {
  it('documents every request and response parameter name', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Open Inference Protocol'));
    expect(section.length).toBeLessThan(readme.length);
    for (const name of [...Object.keys(REQUEST_PARAMETERS), ...Object.keys(RESPONSE_PARAMETERS)]) expect(section, name).toContain(`\`${name}\``);
  });
});
