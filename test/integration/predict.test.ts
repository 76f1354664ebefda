import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { maxRelDiff, referenceRun, responseFloats, wireInputs } from '../helpers/reference.js';
import { readModelConfig, type ModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { sliceRows, type NamedTensors } from '../../src/tensor/tensor.js';

const MODELS = ['lead-scoring', 'property-valuation', 'lead-intent'] as const;
const cfg = (m: string): ModelConfig => readModelConfig(path.resolve('models', m, 'config.json'), m);
const file = (m: string, v = 'model.onnx'): string => path.resolve('models', m, '1', v);

function rowsOf(inputs: NamedTensors, start: number, n: number): NamedTensors {
  return Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, sliceRows(t, start, n)]));
}

describe('Predict over the bundled models', () => {
  let srv: TestServer;
  beforeAll(async () => { srv = await startTestServer(); });
  afterAll(async () => { await srv?.close(); });

  for (const model of MODELS) {
    for (const rows of [1, 5]) {
      it(`${model}: FP32 output equals an in-process ONNX Runtime run (${rows} row${rows > 1 ? 's' : ''})`, async () => {
        const c = cfg(model);
        const inputs = sampleInputs(c, rows, 42 + rows);
        const res = await srv.call('Predict', { model, variant: 'VARIANT_FP32', inputs: wireInputs(inputs), cache: 'CACHE_POLICY_BYPASS' });
        const ref = await referenceRun(file(model), inputs);
        expect(res.model).toBe(model);
        expect(res.version).toBe('1');
        expect(res.variant).toBe('VARIANT_FP32');
        expect(res.outputs.map((o: { name: string }) => o.name).sort()).toEqual(c.outputs.map((o) => o.name).sort());
        for (const o of res.outputs) {
          expect(o.shape.map(Number)).toEqual([rows, ...c.outputs.find((x) => x.name === o.name)!.shape.slice(1)]);
          expect(maxRelDiff(responseFloats(o), ref[o.name]!)).toBeLessThan(1e-4);
        }
        expect(Number(res.timing.batchSize)).toBeGreaterThanOrEqual(rows);
        expect(Number(res.timing.computeUs)).toBeGreaterThan(0);
      });
    }
  }

  it('AUTO serves the verified INT8 variant of lead-intent on CPU, matching an in-process INT8 run', async () => {
    const c = cfg('lead-intent');
    const inputs = sampleInputs(c, 3, 7);
    const res = await srv.call('Predict', { model: 'lead-intent', inputs: wireInputs(inputs), cache: 'CACHE_POLICY_BYPASS' });
    expect(res.variant).toBe('VARIANT_INT8');
    const ref = await referenceRun(file('lead-intent', 'model.int8.onnx'), inputs);
    expect(maxRelDiff(responseFloats(res.outputs[0]), ref['logits']!)).toBeLessThan(1e-3);
  });

  it('typed outputs and typed inputs round-trip', async () => {
    const c = cfg('lead-scoring');
    const inputs = sampleInputs(c, 2, 3);
    const values = Array.from(new Float32Array(new Uint8Array(inputs['features']!.data).buffer));
    const res = await srv.call('Predict', {
      model: 'lead-scoring', variant: 'VARIANT_FP32', typedOutputs: true,
      inputs: [{ name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape: [2, 32], floatData: values }],
    });
    const ref = await referenceRun(file('lead-scoring'), inputs);
    expect(maxRelDiff(Float32Array.from(res.outputs[0].floatData), ref['probability']!)).toBeLessThan(1e-4);
  });

  it('merges 200 concurrent calls into batches and gives every caller its own rows', async () => {
    const model = 'lead-scoring';
    const c = cfg(model);
    const all = sampleInputs(c, 200, 99);
    const ref = await referenceRun(file(model), all);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      srv.call('Predict', { model, variant: 'VARIANT_FP32', inputs: wireInputs(rowsOf(all, i, 1)), cache: 'CACHE_POLICY_BYPASS' })));
    const sizes = results.map((r) => Number(r.timing.batchSize));
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    results.forEach((r, i) => {
      const got = responseFloats(r.outputs[0]);
      expect(maxRelDiff(got, ref['probability']!.subarray(i, i + 1))).toBeLessThan(1e-4);
    });
    const distinct = new Set(results.map((r) => responseFloats(r.outputs[0])[0]));
    expect(distinct.size).toBeGreaterThan(150);
  });

  it('ListModels and GetModelMetadata describe the bundled models', async () => {
    const list = await srv.call('ListModels', {});
    expect(list.models.map((m: { name: string }) => m.name).sort()).toEqual([...MODELS].sort());
    expect(list.models.every((m: { ready: boolean }) => m.ready)).toBe(true);
    const md = await srv.call('GetModelMetadata', { model: 'lead-intent' });
    expect(md.inputs.map((i: { name: string; dtype: string; shape: string[] }) => [i.name, i.dtype, i.shape.map(Number)])).toEqual([
      ['input_ids', 'DATA_TYPE_INT64', [-1, 64]], ['attention_mask', 'DATA_TYPE_INT64', [-1, 64]],
    ]);
    expect(md.outputs[0]).toMatchObject({ name: 'logits', dtype: 'DATA_TYPE_FLOAT32' });
    expect(md.variants).toContain('VARIANT_INT8');
    expect(md.defaultVariant).toBe('VARIANT_INT8');
    expect(md.executionProvider).toBe('cpu');
  });

  describe('bad input gets the right status and an actionable message, and the server keeps serving', () => {
    const good = (): Record<string, unknown> => ({ model: 'lead-scoring', inputs: wireInputs(sampleInputs(cfg('lead-scoring'), 1, 5)) });
    const f32 = (shape: number[], bytes?: number): Record<string, unknown> => ({
      name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape, raw: Buffer.alloc(bytes ?? shape.reduce((a, b) => a * b, 1) * 4),
    });
    const cases: [string, Record<string, unknown>, status, RegExp][] = [
      ['unknown model', { model: 'nope', inputs: [f32([1, 32])] }, status.NOT_FOUND, /model "nope" not found; available models: .*lead-scoring/],
      ['unknown version', { model: 'lead-scoring', version: '99', inputs: [f32([1, 32])] }, status.NOT_FOUND, /no version "99"; versions: 1/],
      ['wrong dtype', { model: 'lead-scoring', inputs: [{ name: 'features', dtype: 'DATA_TYPE_INT32', shape: [1, 32], raw: Buffer.alloc(128) }] }, status.INVALID_ARGUMENT, /input "features" has dtype int32, expected float32; model "lead-scoring" expects inputs: features float32 \[-1,32\]/],
      ['wrong shape', { model: 'lead-scoring', inputs: [f32([1, 31])] }, status.INVALID_ARGUMENT, /input "features" has shape \[1,31\], expected \[-1,32\]/],
      ['missing input', { model: 'lead-intent', inputs: [{ name: 'input_ids', dtype: 'DATA_TYPE_INT64', shape: [1, 64], raw: Buffer.alloc(512) }] }, status.INVALID_ARGUMENT, /missing input "attention_mask"; model "lead-intent" expects inputs: input_ids int64 \[-1,64\], attention_mask int64 \[-1,64\]/],
      ['extra input', { model: 'lead-scoring', inputs: [f32([1, 32]), { ...f32([1, 32]), name: 'bonus' }] }, status.INVALID_ARGUMENT, /unexpected input "bonus"/],
      ['too many rows', { model: 'lead-scoring', inputs: [f32([5_000, 32])] }, status.INVALID_ARGUMENT, /5000 rows; model "lead-scoring" accepts at most \d+ rows per request/],
      ['an empty tensor', { model: 'lead-scoring', inputs: [f32([0, 32])] }, status.INVALID_ARGUMENT, /input "features" is empty/],
      ['raw bytes not matching the shape', { model: 'lead-scoring', inputs: [f32([2, 32], 100)] }, status.INVALID_ARGUMENT, /raw has 100 bytes but float32 \[2,32\] needs 256/],
      ['no data at all', { model: 'lead-scoring', inputs: [{ name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape: [1, 32] }] }, status.INVALID_ARGUMENT, /float_data has 0 values but float32 \[1,32\] needs 32/],
      ['unspecified dtype', { model: 'lead-scoring', inputs: [{ name: 'features', shape: [1, 32], raw: Buffer.alloc(128) }] }, status.INVALID_ARGUMENT, /dtype DATA_TYPE_UNSPECIFIED is not supported/],
      ['unknown output', { ...{ model: 'lead-scoring', inputs: [f32([1, 32])] }, outputs: ['nope'] }, status.INVALID_ARGUMENT, /unknown output "nope"; model "lead-scoring" has outputs: probability/],
      ['missing model name', { inputs: [f32([1, 32])] }, status.INVALID_ARGUMENT, /field "model" is required/],
      ['unavailable variant', { model: 'property-valuation', variant: 'VARIANT_INT8', inputs: [{ name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape: [1, 24], raw: Buffer.alloc(96) }] }, status.NOT_FOUND, /no INT8 variant to serve: there is no model.int8.onnx/],
    ];
    for (const [what, req, code, msg] of cases) {
      it(`${what} -> ${status[code]}`, async () => {
        const err = await srv.call('Predict', req).then(() => undefined, (e: { code: number; details: string }) => e);
        expect(err, 'call should fail').toBeDefined();
        expect(err!.code).toBe(code);
        expect(err!.details).toMatch(msg);
        const ok = await srv.call('Predict', good());
        expect(ok.outputs[0].name).toBe('probability');
      });
    }
  });
});
