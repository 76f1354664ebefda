/**
 * Bring your own model: a repository holding only exported model.onnx files (no config.json), in the shapes
 * PyTorch's exporter and skl2onnx write (test/fixtures/byom/README.md), serves every one of them with outputs
 * equal to ONNX Runtime in-process and close to the original framework's.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempRepo, type TempRepo } from '../helpers/model-repo.js';

const FIXTURES = path.resolve('test/fixtures/byom');
const NAMES = ['torch-mlp', 'torch-text', 'sk-trees', 'sk-linear-clf'] as const;

interface JsonTensor { dtype: 'float32' | 'int64'; shape: number[]; data: number[] }
interface Expected { inputs: Record<string, JsonTensor>; outputs: Record<string, JsonTensor> }
const expected = (name: string): Expected => JSON.parse(readFileSync(path.join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;

const DTYPE = { float32: 'DATA_TYPE_FLOAT32', int64: 'DATA_TYPE_INT64' } as const;
function raw(t: JsonTensor): Buffer {
  return t.dtype === 'int64' ? Buffer.from(BigInt64Array.from(t.data.map((v) => BigInt(v))).buffer) : Buffer.from(Float32Array.from(t.data).buffer);
}
function wire(inputs: Record<string, JsonTensor>): unknown[] {
  return Object.entries(inputs).map(([name, t]) => ({ name, dtype: DTYPE[t.dtype], shape: t.shape, raw: raw(t) }));
}
function numbers(t: { dtype: string; raw: Buffer }): number[] {
  const b = new Uint8Array(t.raw).buffer;
  return t.dtype === 'DATA_TYPE_INT64' ? Array.from(new BigInt64Array(b), Number) : Array.from(new Float32Array(b));
}
async function ortReference(name: string, inputs: Record<string, JsonTensor>): Promise<Record<string, number[]>> {
  const s = await ort.InferenceSession.create(path.join(FIXTURES, name, '1', 'model.onnx'));
  const feeds: Record<string, ort.Tensor> = {};
  for (const [k, t] of Object.entries(inputs)) feeds[k] = t.dtype === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(t.data.map((v) => BigInt(v))), t.shape) : new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
  const r = await s.run(feeds);
  await s.release();
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.from(v.data as ArrayLike<number | bigint>, Number)]));
}

describe('bring your own model: exported files with no config.json', () => {
  let srv: TestServer;
  let repo: TempRepo;
  beforeAll(async () => {
    repo = tempRepo();
    for (const name of NAMES) {
      mkdirSync(path.join(repo.root, name, '1'), { recursive: true });
      symlinkSync(path.join(FIXTURES, name, '1', 'model.onnx'), path.join(repo.root, name, '1', 'model.onnx'));
    }
    srv = await startTestServer({ config: { modelRepository: repo.root, preloadTop: 10 } });
  });
  afterAll(async () => { await srv?.close(); repo?.remove(); });

  it('lists every model READY with its auto-completed config', async () => {
    const list = await srv.call('ListModels', {});
    for (const name of NAMES) {
      const m = list.models.find((x: { name: string }) => x.name === name);
      expect(m, name).toMatchObject({ state: 'READY', configSource: `auto-completed from ${name}/1/model.onnx (inputs, outputs)` });
    }
    const text = await srv.call('GetModelMetadata', { model: 'torch-text' });
    expect(text.inputs.map((i: { shape: string[] }) => i.shape)).toEqual([['-1', '-1'], ['-1', '-1']]); // dynamic sequence axis
    expect(text.inputRanges).toEqual([{ input: 'input_ids', min: '0', max: '999', source: 'the embedding table it indexes, 1000 rows' }]);
    const clf = await srv.call('GetModelMetadata', { model: 'sk-linear-clf' });
    expect(clf.outputs).toEqual([{ name: 'label', dtype: 'DATA_TYPE_INT64', shape: ['-1'] }, { name: 'probabilities', dtype: 'DATA_TYPE_FLOAT32', shape: ['-1', '3'] }]);
  });

  it.each(NAMES)('%s answers equal to ONNX Runtime in-process and close to the original framework', async (name) => {
    const e = expected(name);
    const r = await srv.call('Predict', { model: name, variant: 'VARIANT_FP32', cache: 'CACHE_POLICY_BYPASS', inputs: wire(e.inputs) });
    const ref = await ortReference(name, e.inputs);
    for (const out of r.outputs) {
      const got = numbers(out);
      const want = ref[out.name]!;
      expect(got.length).toBe(want.length);
      got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i]!))));
      const framework = e.outputs[out.name]!.data;
      got.forEach((v, i) => expect(Math.abs(v - framework[i]!)).toBeLessThan(1e-4));
    }
  });

  it('batches same-length token rows together, never mixes lengths, and caches per length', async () => {
    const e = expected('torch-text');
    const ids = e.inputs['input_ids']!;
    const row = (len: number, r: number): Record<string, JsonTensor> => ({
      input_ids: { dtype: 'int64', shape: [1, len], data: ids.data.slice(r * 12, r * 12 + len) },
      attention_mask: { dtype: 'int64', shape: [1, len], data: new Array<number>(len).fill(1) },
    });
    const calls = [row(12, 0), row(8, 1), row(12, 1), row(8, 0)].map((inputs) => srv.call('Predict', { model: 'torch-text', variant: 'VARIANT_FP32', inputs: wire(inputs) }));
    const results = await Promise.all(calls);
    for (const [i, inputs] of [row(12, 0), row(8, 1), row(12, 1), row(8, 0)].entries()) {
      const ref = await ortReference('torch-text', inputs);
      numbers(results[i]!.outputs[0]).forEach((v, j) => expect(Math.abs(v - ref['logits']![j]!)).toBeLessThan(1e-5));
    }
    // The first 8 ids of row 0 alone are another input than all 12: never the same cache entry.
    const again = await srv.call('Predict', { model: 'torch-text', variant: 'VARIANT_FP32', inputs: wire(row(8, 0)) });
    expect(again.cachedRows).toBe(1);
    expect(numbers(again.outputs[0])).toEqual(numbers(results[3]!.outputs[0]));
    expect(numbers(again.outputs[0])).not.toEqual(numbers(results[0]!.outputs[0]));
  });

  it('refuses an id outside the embedding the graph declares', async () => {
    const e = expected('torch-text');
    const ids = { ...e.inputs['input_ids']!, data: [...e.inputs['input_ids']!.data] };
    ids.data[5] = 1000;
    const err = await srv.call('Predict', { model: 'torch-text', inputs: wire({ ...e.inputs, input_ids: ids }) }).catch((x) => x);
    expect(err.details).toBe('input "input_ids" row 0 position 5 has value 1000, outside the valid range [0, 999] (from the embedding table it indexes, 1000 rows)');
  });
});
