import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { attr, encodeModel, floatTensor, OnnxDataType, readModel, valueInfo, writeModel, type ModelProto, type NodeProto, type TensorProto } from '../../../src/onnx/onnx-io.js';
import { quantizeDynamic, QuantizeError } from '../../../quantize/dynamic-quantizer.js';
import { calibrate, entropyThreshold, quantizeStatic } from '../../../quantize/static-quantizer.js';
import { compareOutputs } from '../../../quantize/verify.js';
import { runPipeline, weightRangeOf } from '../../../quantize/pipeline.js';
import { int8Host, thisInt8Host, weightLimit, weightRangeFor } from '../../../src/engine/int8-host.js';
import { DEFAULT_GATE } from '../../../quantize/report.js';
import { readModelConfig } from '../../../src/repository/model-config.js';
import { sampleInputs, seededRandom } from '../../../src/repository/sample-inputs.js';

const rand = seededRandom(42);
const weights = (n: number, scale = 0.5): Float32Array => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

function model(nodes: NodeProto[], inits: TensorProto[], inputs: [string, (number | string)[]][], outputs: [string, (number | string)[]][], opset = 17): ModelProto {
  return {
    irVersion: 8, opsetImport: [{ domain: '', version: opset }], producerName: 'test',
    graph: { name: 'g', node: nodes, initializer: inits, input: inputs.map(([n, d]) => valueInfo(n, OnnxDataType.FLOAT, d)), output: outputs.map(([n, d]) => valueInfo(n, OnnxDataType.FLOAT, d)) },
  };
}

async function run(m: ModelProto, feeds: Record<string, ort.Tensor>): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const s = await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'extended', intraOpNumThreads: 1 });
  const r = await s.run(feeds);
  return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, { data: t.data as Float32Array, dims: t.dims.map(Number) }]));
}

async function expectClose(fp32: ModelProto, int8: ModelProto, feeds: Record<string, ort.Tensor>, minCosine = 0.999): Promise<void> {
  const a = await run(fp32, feeds);
  const b = await run(int8, feeds);
  for (const k of Object.keys(a)) {
    const acc = compareOutputs(a[k]!.data, b[k]!.data, a[k]!.dims);
    expect(acc.cosine, `${k} cosine`).toBeGreaterThan(minCosine);
  }
}

const ops = (m: ModelProto): string[] => (m.graph?.node ?? []).map((n) => n.opType ?? '');
const x = (rows: number, width: number): ort.Tensor => new ort.Tensor('float32', weights(rows * width, 2), [rows, width]);

describe('dynamic quantization', () => {
  /** Output rows of `victimRows` run alone vs. run as the first rows of a batch with `mates`. */
  async function rowMoves(m: ModelProto, victim: Float32Array, mates: Float32Array, dims: number[]): Promise<number> {
    const perRow = dims.reduce((a, b) => a * b, 1);
    const alone = await run(m, { x: new ort.Tensor('float32', victim, [victim.length / perRow, ...dims]) });
    const both = Float32Array.from([...victim, ...mates]);
    const together = await run(m, { x: new ort.Tensor('float32', both, [both.length / perRow, ...dims]) });
    const a = Object.values(alone)[0]!.data;
    const b = Object.values(together)[0]!.data;
    let moved = 0;
    for (let i = 0; i < a.length; i++) moved = Math.max(moved, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!)));
    return moved;
  }

  it.each([
    ['an MLP (Gemm transB=1, ReLU)', 'mlp', 17],
    ['an MLP of MatMuls (2-D activations reshaped per row)', 'matmul-mlp', 17],
    ['an attention-style block (3-D activations, per token)', 'attention', 17],
    ['an attention-style block in opset 18 (ReduceMax axes as an input)', 'attention', 18],
    ['an attention-style block in opset 12 (no per-axis QuantizeLinear: the elementwise form)', 'attention', 12],
    ['a Conv (per sample)', 'conv', 17],
    ['a Conv in opset 12 (per sample, the elementwise form)', 'conv', 12],
  ])('per-row scales make a row\'s INT8 answer independent of its batch-mates: %s', async (_label, kind, opset) => {
    const d = 16;
    let m: ModelProto;
    let dims: number[];
    if (kind === 'mlp') {
      m = model([
        { opType: 'Gemm', name: 'fc1', input: ['x', 'W1', 'B1'], output: ['h'], attribute: [attr('transB', 1, 'int')] },
        { opType: 'Relu', name: 'relu', input: ['h'], output: ['r'] },
        { opType: 'Gemm', name: 'fc2', input: ['r', 'W2'], output: ['y'], attribute: [attr('transB', 1, 'int')] },
      ], [floatTensor('W1', [32, d], weights(32 * d)), floatTensor('B1', [32], weights(32)), floatTensor('W2', [4, 32], weights(4 * 32))], [['x', ['b', d]]], [['y', ['b', 4]]], opset);
      dims = [d];
    } else if (kind === 'matmul-mlp') {
      m = model([
        { opType: 'MatMul', name: 'fc1', input: ['x', 'W1'], output: ['h'] },
        { opType: 'Relu', name: 'relu', input: ['h'], output: ['r'] },
        { opType: 'MatMul', name: 'fc2', input: ['r', 'W2'], output: ['y'] },
      ], [floatTensor('W1', [d, 32], weights(32 * d)), floatTensor('W2', [32, 4], weights(4 * 32))], [['x', ['b', d]]], [['y', ['b', 4]]], opset);
      dims = [d];
    } else if (kind === 'attention') {
      m = model([
        { opType: 'MatMul', name: 'q_proj', input: ['x', 'Wq'], output: ['q'] },
        { opType: 'MatMul', name: 'k_proj', input: ['x', 'Wk'], output: ['k'] },
        { opType: 'Transpose', name: 'kt', input: ['k'], output: ['k_t'], attribute: [attr('perm', [0, 2, 1])] },
        { opType: 'MatMul', name: 'scores', input: ['q', 'k_t'], output: ['y'] },
      ], [floatTensor('Wq', [d, d], weights(d * d)), floatTensor('Wk', [d, d], weights(d * d))], [['x', ['b', 8, d]]], [['y', ['b', 8, 8]]], opset);
      dims = [8, d];
    } else {
      m = model([{ opType: 'Conv', name: 'conv', input: ['x', 'W'], output: ['y'], attribute: [attr('kernel_shape', [3, 3]), attr('pads', [1, 1, 1, 1])] }],
        [floatTensor('W', [4, 3, 3, 3], weights(108))], [['x', ['b', 3, 8, 8]]], [['y', ['b', 4, 8, 8]]], opset);
      dims = [3, 8, 8];
    }
    const per = dims.reduce((a, b) => a * b, 1);
    const victim = weights(per, 1);
    const extreme = new Float32Array(per * 3).fill(1e4);
    const huge = Float32Array.from(weights(per * 3, 1), (v) => v * 1e6);
    const enormous = Float32Array.from(weights(per * 3, 1), (v) => v * 1e30); // finite, but FP32 sums of such rows overflow
    const rowIndependent = quantizeDynamic(m, { perChannel: true });
    expect(await rowMoves(rowIndependent.model, victim, extreme, dims)).toBeLessThanOrEqual(1e-6);
    expect(await rowMoves(rowIndependent.model, victim, huge, dims)).toBeLessThanOrEqual(1e-6);
    expect(await rowMoves(rowIndependent.model, victim, enormous, dims)).toBeLessThanOrEqual(1e-6);
    expect(ops(rowIndependent.model)).not.toContain('DynamicQuantizeLinear');
    // The batch-dependent form is what it says: one batch scale lets an extreme batch-mate move the victim.
    const batchScaled = quantizeDynamic(m, { perChannel: true, activations: 'per-tensor-batch-dependent' });
    expect(await rowMoves(batchScaled.model, victim, extreme, dims)).toBeGreaterThan(1e-3);
  });

  it('quantizes a Gemm with transB=1, alpha and bias (bias stays FP32)', async () => {
    const m = model([{ opType: 'Gemm', name: 'fc', input: ['x', 'W', 'C'], output: ['y'], attribute: [attr('transB', 1, 'int'), attr('alpha', 0.5, 'float')] }],
      [floatTensor('W', [16, 32], weights(512)), floatTensor('C', [16], weights(16))], [['x', ['b', 32]]], [['y', ['b', 16]]]);
    const q = quantizeDynamic(m, { perChannel: true });
    expect(q.quantized).toEqual([{ node: 'fc', op: 'Gemm' }]);
    // Per-row activation scale (the default): max |x| of each row, QuantizeLinear with one scale per row, then
    // MatMulInteger and the rescale by the row scale (DequantizeLinear per row) and the weight scale.
    expect(ops(q.model)).toEqual(['Abs', 'ReduceMax', 'Max', 'Div', 'Shape', 'ConstantOfShape', 'QuantizeLinear', 'MatMulInteger', 'DequantizeLinear', 'Mul', 'Add']);
    const pt = quantizeDynamic(m, { perChannel: true, activations: 'per-tensor-batch-dependent' });
    expect(ops(pt.model)).toEqual(['DynamicQuantizeLinear', 'MatMulInteger', 'Mul', 'Cast', 'Mul', 'Add']);
    const w = q.model.graph!.initializer!.find((t) => t.dataType === OnnxDataType.INT8)!;
    expect(w.dims).toEqual([32, 16]); // transposed to [K, N]
    expect(q.model.graph!.initializer!.some((t) => t.name === 'W')).toBe(false);
    await expectClose(m, q.model, { x: x(5, 32) });
  });

  it('quantizes rows after a Relu over [0, max] (zero point 0, no Abs) and stays close to FP32', async () => {
    const m = model([
      { opType: 'MatMul', name: 'fc1', input: ['x', 'W1'], output: ['h'] },
      { opType: 'Relu', name: 'relu', input: ['h'], output: ['r'] },
      { opType: 'MatMul', name: 'fc2', input: ['r', 'W2'], output: ['y'] },
    ], [floatTensor('W1', [16, 64], weights(16 * 64)), floatTensor('W2', [64, 8], weights(64 * 8))], [['x', ['b', 16]]], [['y', ['b', 8]]]);
    const q = quantizeDynamic(m, { perChannel: true });
    // fc1's input can be negative (Abs, zero point 128 made per row); fc2's cannot.
    expect(ops(q.model).filter((o) => o === 'Abs')).toHaveLength(1);
    expect(ops(q.model).filter((o) => o === 'ConstantOfShape')).toHaveLength(1);
    const fc2 = q.model.graph!.node!.find((n) => n.opType === 'MatMulInteger' && n.name === 'fc2_quant')!;
    const zp = q.model.graph!.initializer!.find((t) => t.name === fc2.input![2])!;
    expect(Array.from(zp.rawData!)).toEqual([0]);
    await expectClose(m, q.model, { x: x(64, 16) }, 0.9995);
  });

  it('quantizes a Conv into ConvInteger that ONNX Runtime CPU runs', async () => {
    const m = model([{ opType: 'Conv', name: 'conv', input: ['x', 'W', 'B'], output: ['y'], attribute: [attr('kernel_shape', [3, 3]), attr('pads', [1, 1, 1, 1])] }],
      [floatTensor('W', [4, 3, 3, 3], weights(108)), floatTensor('B', [4], weights(4))], [['x', ['b', 3, 8, 8]]], [['y', ['b', 4, 8, 8]]]);
    const q = quantizeDynamic(m, { perChannel: true });
    expect(ops(q.model)).toContain('ConvInteger');
    expect(ops(q.model)).not.toContain('Conv');
    await expectClose(m, q.model, { x: new ort.Tensor('float32', weights(2 * 3 * 64, 2), [2, 3, 8, 8]) }, 0.995);
  });

  it('leaves activation x activation MatMuls of an attention block FP32 and quantizes the projections', async () => {
    const d = 16;
    const m = model([
      { opType: 'MatMul', name: 'q_proj', input: ['x', 'Wq'], output: ['q'] },
      { opType: 'MatMul', name: 'k_proj', input: ['x', 'Wk'], output: ['k'] },
      { opType: 'MatMul', name: 'v_proj', input: ['x', 'Wv'], output: ['v'] },
      { opType: 'Transpose', name: 'kt', input: ['k'], output: ['k_t'], attribute: [attr('perm', [0, 2, 1])] },
      { opType: 'MatMul', name: 'scores', input: ['q', 'k_t'], output: ['s'] },
      { opType: 'Softmax', name: 'softmax', input: ['s'], output: ['p'], attribute: [attr('axis', -1, 'int')] },
      { opType: 'MatMul', name: 'context', input: ['p', 'v'], output: ['y'] },
    ], [floatTensor('Wq', [d, d], weights(d * d)), floatTensor('Wk', [d, d], weights(d * d)), floatTensor('Wv', [d, d], weights(d * d))],
    [['x', ['b', 8, d]]], [['y', ['b', 8, d]]]);
    const q = quantizeDynamic(m, { perChannel: true });
    expect(q.quantized.map((n) => n.node).sort()).toEqual(['k_proj', 'q_proj', 'v_proj']);
    expect(q.skipped.map((n) => n.node).sort()).toEqual(['context', 'scores']);
    expect(ops(q.model).filter((o) => o === 'ReduceMax')).toHaveLength(1); // x quantized once for 3 projections
    expect(q.model.graph!.node!.filter((n) => n.opType === 'MatMul').map((n) => n.name).sort()).toEqual(['context', 'scores']);
    await expectClose(m, q.model, { x: new ort.Tensor('float32', weights(3 * 8 * d, 2), [3, 8, d]) });
  });

  it('quantizes a weight shared by two MatMuls once', async () => {
    const m = model([
      { opType: 'MatMul', name: 'a', input: ['x1', 'W'], output: ['y1'] },
      { opType: 'MatMul', name: 'b', input: ['x2', 'W'], output: ['y2'] },
    ], [floatTensor('W', [8, 8], weights(64))], [['x1', ['b', 8]], ['x2', ['b', 8]]], [['y1', ['b', 8]], ['y2', ['b', 8]]]);
    const q = quantizeDynamic(m, { perChannel: false });
    expect(q.quantized).toHaveLength(2);
    const int8 = q.model.graph!.initializer!.filter((t) => t.dataType === OnnxDataType.INT8);
    expect(int8).toHaveLength(1);
    const users = q.model.graph!.node!.filter((n) => n.opType === 'MatMulInteger').map((n) => n.input![1]);
    expect(new Set(users).size).toBe(1);
    await expectClose(m, q.model, { x1: x(4, 8), x2: x(4, 8) });
  });

  it('keeps excluded nodes FP32, by name and by op type', () => {
    const m = model([
      { opType: 'MatMul', name: 'keep_me', input: ['x', 'W1'], output: ['h'] },
      { opType: 'MatMul', name: 'quantize_me', input: ['h', 'W2'], output: ['h2'] },
      { opType: 'Gemm', name: 'head', input: ['h2', 'W3'], output: ['y'] },
    ], [floatTensor('W1', [8, 8], weights(64)), floatTensor('W2', [8, 8], weights(64)), floatTensor('W3', [8, 2], weights(16))], [['x', ['b', 8]]], [['y', ['b', 2]]]);
    const q = quantizeDynamic(m, { perChannel: true, excludeNodes: ['keep_me'], excludeOpTypes: ['Gemm'] });
    expect(q.quantized).toEqual([{ node: 'quantize_me', op: 'MatMul' }]);
    expect(q.model.graph!.node!.find((n) => n.name === 'keep_me')!.opType).toBe('MatMul');
    expect(q.model.graph!.node!.find((n) => n.name === 'head')!.opType).toBe('Gemm');
    expect(q.skipped.map((s) => s.reason)).toEqual(['excluded by option', 'excluded by option']);
  });

  it('leaves a Gemm with transA=1 FP32 with the reason, and names the node it cannot handle', () => {
    const m = model([{ opType: 'Gemm', name: 'weird', input: ['x', 'W'], output: ['y'], attribute: [attr('transA', 1, 'int')] }],
      [floatTensor('W', [8, 8], weights(64))], [['x', [8, 'b']]], [['y', ['b', 8]]]);
    const q = quantizeDynamic(m, { perChannel: true });
    expect(q.skipped).toEqual([{ node: 'weird', op: 'Gemm', reason: 'Gemm with transA=1 stays FP32' }]);
    const bad = model([{ opType: 'Gemm', name: 'cube', input: ['x', 'W'], output: ['y'] }],
      [floatTensor('W', [2, 4, 8], weights(64))], [['x', ['b', 4]]], [['y', ['b', 8]]]);
    expect(() => quantizeDynamic(bad, { perChannel: true })).toThrow(/Gemm node "cube": weight W must be 2-D, got \[2,4,8\]/);
  });

  it('per-channel and per-tensor both produce valid models close to FP32', async () => {
    const m = readModel(path.resolve('models/lead-scoring/1/model.onnx'));
    const cfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
    const inputs = sampleInputs(cfg, 64, 5);
    const feeds = { features: new ort.Tensor('float32', new Float32Array(new Uint8Array(inputs['features']!.data).buffer), [64, 32]) };
    for (const perChannel of [true, false]) {
      const q = quantizeDynamic(m, { perChannel });
      const scale = q.model.graph!.initializer!.find((t) => (t.name ?? '').endsWith('_scale'))!;
      expect(scale.dims!.length).toBe(perChannel ? 1 : 0);
      await expectClose(m, q.model, feeds);
    }
  });
});

/** The largest |value| among a model's int8 initializers (its quantized weights). */
function maxAbsInt8(m: ModelProto): number {
  const ints = m.graph!.initializer!.filter((t) => t.dataType === OnnxDataType.INT8);
  return Math.max(...ints.flatMap((t) => [...new Int8Array(t.rawData!.buffer, t.rawData!.byteOffset, t.rawData!.byteLength)].map(Math.abs)));
}

describe('int8 weight range and the CPU (real ONNX Runtime)', () => {
  // Positive activations near each row's max (uint8 near 255) against large positive weights: every adjacent pair of
  // u8 x s8 products is near 2 x 255 x 127 = 64,770, past the 16-bit lane of a kernel without VNNI.
  const K = 64;
  const N = 8;
  const w = Float32Array.from({ length: K * N }, () => 0.9 + 0.1 * rand());
  const fp32 = model([{ opType: 'MatMul', name: 'mm', input: ['x', 'W'], output: ['y'] }], [floatTensor('W', [K, N], w)], [['x', ['b', K]]], [['y', ['b', N]]]);
  const rows = 16;
  const feeds = { x: new ort.Tensor('float32', Float32Array.from({ length: rows * K }, () => 0.95 + 0.05 * rand()), [rows, K]) };

  async function relL2(range: 'full' | 'reduced'): Promise<number> {
    const q = quantizeDynamic(fp32, { perChannel: true, weightRange: range });
    expect(maxAbsInt8(q.model)).toBe(range === 'full' ? 127 : 63);
    const a = await run(fp32, feeds);
    const b = await run(q.model, feeds);
    return compareOutputs(a['y']!.data, b['y']!.data, a['y']!.dims).relativeL2;
  }

  it(`reduced weights are right on this CPU (${thisInt8Host().describe}); full-range ones are wrong exactly where products saturate`, async () => {
    expect(await relL2('reduced')).toBeLessThan(0.02);
    const full = await relL2('full');
    if (thisInt8Host().saturates) expect(full).toBeGreaterThan(0.1);
    else expect(full).toBeLessThan(0.01);
  });

  it('the default is what this host needs, and the pipeline records it with the host', () => {
    const q = quantizeDynamic(fp32, { perChannel: true });
    expect(maxAbsInt8(q.model)).toBe(weightLimit(weightRangeFor()));
    expect(weightRangeOf({})).toBe(weightRangeFor());
    expect(weightRangeOf({ weightRange: 'full' })).toBe('full');
    expect(weightRangeOf({ weightRange: 'auto' }, int8Host('x64', 'flags\t: avx2\n'))).toBe('reduced');
    expect(weightRangeOf({ weightRange: 'auto' }, int8Host('x64', 'flags\t: avx2 avx512_vnni\n'))).toBe('full');
  });
});

describe('static QDQ quantization', () => {
  const mlp = (): ModelProto => model([
    { opType: 'MatMul', name: 'fc1', input: ['x', 'W1'], output: ['h'] },
    { opType: 'Relu', name: 'relu', input: ['h'], output: ['a'] },
    { opType: 'Gemm', name: 'fc2', input: ['a', 'W2', 'B2'], output: ['y'], attribute: [attr('transB', 1, 'int')] },
  ], [floatTensor('W1', [16, 32], weights(512)), floatTensor('W2', [4, 32], weights(128)), floatTensor('B2', [4], weights(4))], [['x', ['b', 16]]], [['y', ['b', 4]]]);

  for (const method of ['minmax', 'percentile', 'entropy'] as const) {
    it(`${method} calibration gives a valid QDQ model within a loose gate`, async () => {
      const m = mlp();
      const data = { x: { dtype: 'float32' as const, shape: [128, 16], data: new Uint8Array(weights(128 * 16, 2).buffer) } };
      const opts = { perChannel: true, method, percentile: 99.9 };
      const ranges = await calibrate(m, data, opts);
      expect(ranges.size).toBe(2);
      const q = quantizeStatic(m, ranges, opts);
      expect(ops(q.model).filter((o) => o === 'QuantizeLinear')).toHaveLength(2);
      expect(ops(q.model).filter((o) => o === 'DequantizeLinear')).toHaveLength(4);
      // Entropy clips the tails on purpose (better for bell-shaped activations); on this uniform toy input
      // that costs a little more than MinMax/Percentile, so its bound is looser.
      await expectClose(m, q.model, { x: x(32, 16) }, method === 'entropy' ? 0.98 : 0.99);
    });
  }
});

describe('entropy calibration', () => {
  it('clips a long tail but keeps the bulk of the distribution', () => {
    const r = seededRandom(3);
    const values = Array.from({ length: 50_000 }, () => Math.abs((r() + r() + r() + r() - 2) * 1.7)); // bulk within ~3
    for (let i = 0; i < 20; i++) values.push(100 + i); // rare outliers up to 119
    const t = entropyThreshold(values);
    expect(t).toBeGreaterThan(2);
    expect(t).toBeLessThan(60);
  });
});

describe('pipeline', () => {
  it('a model with nothing to quantize gets a clear message and nothing is written', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-q-'));
    const file = path.join(dir, 'relu.onnx');
    writeModel(file, model([{ opType: 'Relu', name: 'r', input: ['x'], output: ['y'] }], [], [['x', ['b', 4]]], [['y', ['b', 4]]]));
    await expect(runPipeline({
      modelFile: file, outFile: path.join(dir, 'relu.int8.onnx'), reportFile: path.join(dir, 'relu.int8.report.json'), mode: 'dynamic', perChannel: true,
      excludeNodes: [], excludeOpTypes: [], calibrationMethod: 'minmax', percentile: 99.99, calibrationRows: 16, validationRows: 16, gate: DEFAULT_GATE, progress: false, log: () => undefined,
    })).rejects.toThrow(QuantizeError);
    expect(existsSync(path.join(dir, 'relu.int8.onnx'))).toBe(false);
  });

  it('the CLI writes a verified model and a report beside a model directory copy', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-q-'));
    mkdirSync(path.join(dir, 'lead-scoring', '1'), { recursive: true });
    execFileSync('cp', [path.resolve('models/lead-scoring/config.json'), path.join(dir, 'lead-scoring')]);
    execFileSync('cp', [path.resolve('models/lead-scoring/1/model.onnx'), path.join(dir, 'lead-scoring', '1')]);
    const out = execFileSync(process.execPath, ['dist/quantize/cli.js', path.join(dir, 'lead-scoring'), '--quiet', '--validation-rows', '64'], { encoding: 'utf8' });
    expect(out).toMatch(/gate PASSED/);
    const report = JSON.parse(readFileSync(path.join(dir, 'lead-scoring', '1', 'model.int8.report.json'), 'utf8'));
    expect(report.passed).toBe(true);
    expect(report.fp32Sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.speed.int8.batch32Ms).toBeGreaterThan(0);
    expect(report.settings.weightRange).toBe(weightRangeFor());
    expect(report.verifiedOn).toEqual(thisInt8Host());
    expect(out).toMatch(weightRangeFor() === 'reduced' ? /int8 weights: 7 bits/ : /int8 weights: full range/);
  });
});

describe('bundled INT8 variants (built by npm run models)', () => {
  for (const name of ['lead-intent', 'lead-scoring']) {
    it(`${name}: INT8 loads, runs and stays within its gate on fresh inputs`, async () => {
      const dir = path.resolve('models', name, '1');
      const report = JSON.parse(readFileSync(path.join(dir, 'model.int8.report.json'), 'utf8'));
      expect(report.passed).toBe(true);
      const cfg = readModelConfig(path.resolve('models', name, 'config.json'), name);
      const inputs = sampleInputs(cfg, 128, 31337);
      const feeds: Record<string, ort.Tensor> = {};
      for (const [k, t] of Object.entries(inputs)) {
        feeds[k] = t.dtype === 'int64' ? new ort.Tensor('int64', new BigInt64Array(new Uint8Array(t.data).buffer), [...t.shape]) : new ort.Tensor('float32', new Float32Array(new Uint8Array(t.data).buffer), [...t.shape]);
      }
      const fp = await (await ort.InferenceSession.create(path.join(dir, 'model.onnx'), { graphOptimizationLevel: 'extended' })).run(feeds);
      const q = await (await ort.InferenceSession.create(path.join(dir, 'model.int8.onnx'), { graphOptimizationLevel: 'extended' })).run(feeds);
      for (const k of Object.keys(fp)) {
        const acc = compareOutputs(fp[k]!.data as Float32Array, q[k]!.data as Float32Array, fp[k]!.dims.map(Number));
        expect(acc.cosine).toBeGreaterThanOrEqual(report.gate.minCosine);
        expect(acc.relativeL2).toBeLessThanOrEqual(report.gate.maxRelL2);
        if (acc.top1Agreement !== undefined) expect(acc.top1Agreement).toBeGreaterThanOrEqual(0.98); // 128 fresh rows: one disagreement is 0.8%
      }
    });
  }
});
