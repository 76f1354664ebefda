import path from 'node:path';
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { fuseAttention } from '../../../src/onnx/attention-fusion.js';
import { encodeModel, readModel, valueInfo, OnnxDataType, type ModelProto } from '../../../src/onnx/onnx-io.js';
import { readModelConfig } from '../../../src/repository/model-config.js';
import { sampleInputs, seededRandom } from '../../../src/repository/sample-inputs.js';
import { toFeeds } from '../../../src/engine/ort-session.js';
import type { NamedTensors } from '../../../src/tensor/tensor.js';
import { GraphBuilder } from '../../../models/builder/graph-builder.js';
import { linear } from '../../../models/builder/layers.js';

const INTENT = path.resolve('models/lead-intent/1/model.onnx');
const intentCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');

/** Every output of the two models on the same feeds; the largest difference relative to the largest magnitude. */
async function relDiff(a: ModelProto, b: ModelProto, inputs: NamedTensors): Promise<number> {
  const opts = { graphOptimizationLevel: 'extended', intraOpNumThreads: 1, logSeverityLevel: 3 } as const;
  const [sa, sb] = await Promise.all([ort.InferenceSession.create(encodeModel(a), opts), ort.InferenceSession.create(encodeModel(b), opts)]);
  try {
    const [ra, rb] = [await sa.run(toFeeds(inputs)), await sb.run(toFeeds(inputs))];
    let diff = 0;
    let scale = 0;
    expect(Object.keys(rb).sort()).toEqual(Object.keys(ra).sort());
    for (const [name, t] of Object.entries(ra)) {
      const x = t.data as Float32Array;
      const y = rb[name]!.data as Float32Array;
      expect(rb[name]!.dims).toEqual(t.dims);
      for (let i = 0; i < x.length; i++) { diff = Math.max(diff, Math.abs(x[i]! - y[i]!)); scale = Math.max(scale, Math.abs(x[i]!)); }
    }
    return diff / scale;
  } finally {
    await sa.release();
    await sb.release();
  }
}

const ops = (m: ModelProto): string[] => (m.graph?.node ?? []).map((n) => n.opType ?? '');

/**
 * One self-attention block in the other spellings the matcher accepts: the scores scaled by a Mul, K transposed
 * in two steps ([0,2,1,3] then [0,1,3,2]), no mask bias, a V projection without a bias Add, merge shape
 * [0, 0, -1]. X float32 [batch, 6, 16], 2 heads of 8.
 */
function otherSpelling(): ModelProto {
  const g = new GraphBuilder('attention-spelling');
  const split = g.ints('split', [0, 0, 2, 8]);
  const heads = (p: string): string => g.op('Transpose', [g.op('Reshape', [p, split], 's')], 's', { perm: [0, 2, 1, 3] });
  const q = heads(linear(g, 'x', 'q', 16, 16, 0.5));
  const k = g.op('Transpose', [heads(linear(g, 'x', 'k', 16, 16, 0.5))], 'k', { perm: [0, 1, 3, 2] });
  const v = heads(g.op('MatMul', ['x', g.uniform('v/weight', [16, 16], 0.5)], 'v'));
  const scores = g.op('Mul', [g.scalar('scale', 0.3), g.op('MatMul', [q, k], 's')], 's');
  const ctx = g.op('Transpose', [g.op('MatMul', [g.op('Softmax', [scores], 's', { axis: -1 }), v], 's')], 's', { perm: [0, 2, 1, 3] });
  g.op('Reshape', [ctx, g.ints('merge', [0, 0, -1])], 's', {}, 'y');
  return g.build({
    inputs: [valueInfo('x', OnnxDataType.FLOAT, ['batch', 6, 16])], outputs: [valueInfo('y', OnnxDataType.FLOAT, ['batch', 6, 16])],
    doc: 'test', recipe: 'test',
  });
}

function floatInput(name: string, shape: number[], seed: number): NamedTensors {
  const rnd = seededRandom(seed);
  const v = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd() * 2 - 1);
  return { [name]: { dtype: 'float32', shape, data: new Uint8Array(v.buffer) } };
}

describe('attention fusion', () => {
  it('fuses the four attention blocks of the bundled lead-intent into Attention nodes that answer the same', async () => {
    const original = readModel(INTENT);
    const { model, blocks } = fuseAttention(original);
    expect(blocks).toBe(4);
    expect(ops(model).filter((o) => o === 'Attention')).toHaveLength(4);
    expect(ops(model)).not.toContain('Softmax');
    expect(ops(model)).not.toContain('Transpose');
    expect(model.graph!.node!.length).toBe(original.graph!.node!.length - 4 * 19 + 4 + 4); // 19 nodes -> 1 per block; Shape/Gather/Concat/Expand once
    const attention = model.graph!.node!.find((n) => n.opType === 'Attention')!;
    expect(attention.domain).toBe('com.microsoft');
    expect(attention.attribute!.find((a) => a.name === 'num_heads')!.i).toBe(4);
    expect(attention.attribute!.find((a) => a.name === 'scale')!.f).toBeCloseTo(1 / 8, 7);
    expect(model.opsetImport).toContainEqual({ domain: 'com.microsoft', version: 1 });
    // The replaced weights are gone (only the packed ones stay): the file does not carry both.
    expect(model.graph!.initializer!.some((t) => t.name === 'layer0/attention/query/weight')).toBe(false);
    expect(original.graph!.node!.some((n) => n.opType === 'Softmax')).toBe(true); // the input is not changed
    for (const rows of [1, 5]) expect(await relDiff(original, model, sampleInputs(intentCfg, rows, 70 + rows))).toBeLessThan(1e-5);
  });

  it('leaves a block alone when one of its tensors is used elsewhere, and fuses the others', async () => {
    const original = readModel(INTENT);
    const probs = original.graph!.node!.find((n) => n.name === 'layer2/attention/Softmax_0_node')!.output![0]!;
    const exposed: ModelProto = { ...original, graph: { ...original.graph, output: [...original.graph!.output!, valueInfo(probs, OnnxDataType.FLOAT, ['batch', 4, 64, 64])] } };
    const { model, blocks } = fuseAttention(exposed);
    expect(blocks).toBe(3);
    expect(model.graph!.node!.filter((n) => n.opType === 'Softmax').map((n) => n.name)).toEqual(['layer2/attention/Softmax_0_node']);
    expect(await relDiff(exposed, model, sampleInputs(intentCfg, 3, 9))).toBeLessThan(1e-5);
  });

  it('fuses the other spellings of a block (Mul scale, two-step K transpose, no bias, [0,0,-1] merge)', async () => {
    const original = otherSpelling();
    const { model, blocks } = fuseAttention(original);
    expect(blocks).toBe(1);
    expect(ops(model)).toEqual(['Attention']);
    expect(model.graph!.node![0]!.attribute!.find((a) => a.name === 'scale')!.f).toBeCloseTo(0.3, 6);
    expect(model.graph!.node![0]!.input).toHaveLength(3); // no attention_bias
    expect(await relDiff(original, model, floatInput('x', [3, 6, 16], 5))).toBeLessThan(1e-5);
  });

  it('returns models without a matching block unchanged (torch nn.TransformerEncoder export, MLPs, INT8)', () => {
    for (const file of ['test/fixtures/byom/torch-text/1/model.onnx', 'models/lead-scoring/1/model.onnx', 'models/lead-intent/1/model.int8.onnx']) {
      const m = readModel(path.resolve(file));
      const r = fuseAttention(m);
      expect(r.blocks, file).toBe(0);
      expect(r.model, file).toBe(m);
    }
  });

  it('does not fuse when the scores are not over the last axis of an opset-11 Softmax (its default axis is 1)', () => {
    const m = otherSpelling();
    const opset11: ModelProto = { ...m, opsetImport: [{ domain: '', version: 11 }], graph: { ...m.graph, node: m.graph!.node!.map((n) => (n.opType === 'Softmax' ? { ...n, attribute: [] } : n)) } };
    expect(fuseAttention(opset11).blocks).toBe(0);
  });

  it('does not fuse a block whose head split takes a 0 literally (Reshape allowzero=1)', () => {
    const m = otherSpelling();
    const literal: ModelProto = { ...m, graph: { ...m.graph, node: m.graph!.node!.map((n, i) => (n.opType === 'Reshape' && i < 4 ? { ...n, attribute: [{ name: 'allowzero', type: 2, i: 1 }] } : n)) } };
    expect(fuseAttention(literal).blocks).toBe(0);
    expect(fuseAttention(m).blocks).toBe(1);
  });

  it('keeps the signature: the same graph inputs and outputs', () => {
    const original = readModel(INTENT);
    const { model } = fuseAttention(original);
    expect(model.graph!.input).toEqual(original.graph!.input);
    expect(model.graph!.output).toEqual(original.graph!.output);
  });
});
