/**
 * Static INT8 quantization in QDQ format (S8S8): activation inputs of MatMul/Gemm/Conv get
 * QuantizeLinear -> DequantizeLinear pairs with int8 ranges from calibration, constant weights become int8
 * with a DequantizeLinear (per channel or per tensor). ONNX Runtime turns the QDQ pairs into integer kernels.
 *
 * Calibration runs the FP32 model with the activation tensors exposed as extra graph outputs and collects
 * their ranges: MinMax (observed min/max, asymmetric), Percentile (symmetric, clipped at a percentile of
 * |x|, robust to outliers) or Entropy (symmetric, the clipping threshold whose 128-level quantized histogram
 * of |x| is closest to the original in KL divergence, as TensorRT's calibrator does).
 */
import type { SingleBar } from 'cli-progress';
import type { ModelProto, NodeProto } from '../src/onnx/onnx-io.js';
import { attr, encodeModel, floatTensor, OnnxDataType, tensorFloats, valueInfo } from '../src/onnx/onnx-io.js';
import type { HostTensor } from '../src/tensor/tensor.js';
import { sliceRows } from '../src/tensor/tensor.js';
import { GraphIndex, intAttr } from '../src/onnx/graph-utils.js';
import { classifyNode, int8Tensor, type Target } from './quantize-targets.js';
import { weightRangeFor, type WeightRange } from '../src/engine/int8-host.js';
import { quantizeInt8 } from './weight-quantization.js';
import { QuantizeError, type QuantizeOutcome } from './dynamic-quantizer.js';
import { toFeeds } from '../src/engine/ort-session.js';
import { loadSession } from './verify.js';

/** Calibration methods. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** Options of static quantization. */
export interface StaticQuantizeOptions {
  readonly perChannel: boolean;
  /** int8 weights in [-127, 127] or in 7 bits; default: what this host needs (src/engine/int8-host.ts). */
  readonly weightRange?: WeightRange;
  readonly method: CalibrationMethod;
  /** Percentile of |x| kept by the Percentile method (e.g. 99.99). */
  readonly percentile: number;
  readonly excludeNodes?: readonly string[];
  readonly excludeOpTypes?: readonly string[];
  /** Rows per calibration run. */
  readonly batchSize?: number;
}

/** An activation range. */
export interface Range { min: number; max: number }

const MAX_SAMPLES = 1 << 20;

function targets(model: ModelProto, o: StaticQuantizeOptions): Target[] {
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name ?? '', t]));
  const out: Target[] = [];
  for (const node of model.graph?.node ?? []) {
    const c = classifyNode(node, inits, o);
    if (c && 'target' in c) out.push(c.target);
  }
  return out;
}

/** Runs the FP32 model over the calibration rows and returns each activation's range. */
export async function calibrate(model: ModelProto, data: Readonly<Record<string, HostTensor>>, o: StaticQuantizeOptions, bar?: SingleBar): Promise<Map<string, Range>> {
  const acts = [...new Set(targets(model, o).map((t) => t.activation))];
  if (acts.length === 0) throw new QuantizeError('nothing to quantize: the model has no MatMul, Gemm or Conv with a constant float32 weight');
  const probe = structuredClone(model);
  const graphOutputs = new Set((probe.graph?.output ?? []).map((v) => v.name));
  for (const a of acts) if (!graphOutputs.has(a)) probe.graph!.output!.push(valueInfo(a, OnnxDataType.FLOAT, []));
  // Shapes of exposed intermediates are unknown: drop the declared dims so ORT infers them.
  for (const v of probe.graph!.output!) if (acts.includes(v.name ?? '')) delete v.type!.tensorType!.shape;
  const session = await loadSession(encodeModel(probe));
  const rows = (Object.values(data)[0] as HostTensor).shape[0] as number;
  const batch = o.batchSize ?? 32;
  const ranges = new Map<string, Range>(acts.map((a) => [a, { min: Infinity, max: -Infinity }]));
  const samples = new Map<string, number[]>(acts.map((a) => [a, []]));
  bar?.start(Math.ceil(rows / batch), 0);
  for (let start = 0; start < rows; start += batch) {
    const n = Math.min(batch, rows - start);
    const feeds = toFeeds(Object.fromEntries(Object.entries(data).map(([k, t]) => [k, sliceRows(t, start, n)])));
    const res = await session.run(feeds, acts);
    for (const a of acts) {
      const v = res[a]!.data as Float32Array;
      const r = ranges.get(a)!;
      const s = samples.get(a)!;
      const stride = Math.max(1, Math.floor(v.length / 4096));
      for (let i = 0; i < v.length; i++) {
        const x = v[i] as number;
        if (x < r.min) r.min = x;
        if (x > r.max) r.max = x;
        if (o.method !== 'minmax' && i % stride === 0 && s.length < MAX_SAMPLES) s.push(Math.abs(x));
      }
    }
    bar?.increment();
  }
  bar?.stop();
  await session.release();
  if (o.method === 'entropy') {
    for (const a of acts) {
      const t = entropyThreshold(samples.get(a)!);
      ranges.set(a, { min: -t, max: t });
    }
  }
  if (o.method === 'percentile') {
    for (const a of acts) {
      const s = samples.get(a)!.sort((x, y) => x - y);
      const t = s[Math.min(s.length - 1, Math.floor((o.percentile / 100) * s.length))] ?? 0;
      ranges.set(a, { min: -t, max: t });
    }
  }
  return ranges;
}

/** Normalizes a histogram and moves a little mass onto its empty bins so KL stays finite. */
function smooth(h: Float64Array, eps = 1e-4): Float64Array {
  let sum = 0;
  let zeros = 0;
  for (const v of h) { sum += v; if (v === 0) zeros++; }
  const nonzero = h.length - zeros;
  const out = new Float64Array(h.length);
  if (sum === 0 || nonzero === 0) return out.fill(1 / h.length);
  const take = (eps * zeros) / nonzero;
  for (let k = 0; k < h.length; k++) out[k] = h[k] === 0 ? eps : (h[k] as number) / sum - take;
  return out;
}

/** KL(P || Q) of two smoothed distributions. */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let kl = 0;
  for (let k = 0; k < p.length; k++) {
    const pk = p[k] as number;
    if (pk > 0) kl += pk * Math.log(pk / Math.max(q[k] as number, 1e-12));
  }
  return kl;
}

/**
 * KL-divergence calibration over samples of |x|: builds a 2048-bin histogram, and for each candidate
 * threshold folds the tail into the last kept bin (P), squeezes the kept bins without the tail into 128
 * levels and spreads them back over their non-empty bins (Q), and keeps the threshold with the smallest
 * KL(P || Q): clipping too much loses the tail, clipping too little wastes resolution on the bulk.
 */
export function entropyThreshold(absValues: readonly number[], bins = 2048, levels = 128): number {
  let max = 0;
  for (const v of absValues) if (v > max) max = v;
  if (max === 0) return 1e-8;
  const width = max / bins;
  const hist = new Float64Array(bins);
  for (const v of absValues) hist[Math.min(bins - 1, Math.floor(v / width))]! += 1;
  let bestI = bins;
  let bestKl = Infinity;
  for (let i = levels; i <= bins; i += 8) {
    const p = hist.slice(0, i);
    let tail = 0;
    for (let k = i; k < bins; k++) tail += hist[k] as number;
    p[i - 1] = (p[i - 1] as number) + tail;
    const q = new Float64Array(i);
    const step = i / levels;
    for (let j = 0; j < levels; j++) {
      const start = Math.floor(j * step);
      const end = j === levels - 1 ? i : Math.floor((j + 1) * step);
      let total = 0;
      let nonzero = 0;
      for (let k = start; k < end; k++) { total += hist[k] as number; if ((hist[k] as number) > 0) nonzero++; }
      for (let k = start; k < end; k++) if ((hist[k] as number) > 0) q[k] = total / nonzero;
    }
    const kl = klDivergence(smooth(p), smooth(q));
    if (kl < bestKl) { bestKl = kl; bestI = i; }
  }
  return bestI * width;
}

/** Inserts QDQ pairs using calibrated ranges; the input model is not modified. */
export function quantizeStatic(source: ModelProto, ranges: ReadonlyMap<string, Range>, o: StaticQuantizeOptions): QuantizeOutcome {
  const model = structuredClone(source);
  const graph = model.graph!;
  const index = new GraphIndex(graph);
  const chosen = targets(model, o);
  if (chosen.length === 0) throw new QuantizeError('nothing to quantize: the model has no MatMul, Gemm or Conv with a constant float32 weight');
  const byNode = new Map(chosen.map((c) => [c.node, c]));
  const dq = new Map<string, string>();
  const wdq = new Map<string, string>();
  const out: NodeProto[] = [];
  const quantized: { node: string; op: string }[] = [];
  const skipped: { node: string; op: string; reason: string }[] = [];
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const node of graph.node ?? []) {
    const c = byNode.get(node);
    const op = node.opType ?? '';
    if (!c) {
      const why = classifyNode(node, inits, o);
      if (why && 'skip' in why) skipped.push({ node: node.name ?? '', op, reason: why.skip });
      out.push(node);
      continue;
    }
    let actDq = dq.get(c.activation);
    if (!actDq) {
      const r = ranges.get(c.activation);
      if (!r || !Number.isFinite(r.min) || !Number.isFinite(r.max)) throw new QuantizeError(`node "${node.name}": no calibration range for activation "${c.activation}"`);
      const lo = Math.min(0, r.min);
      const hi = Math.max(0, r.max);
      const scale = hi > lo ? (hi - lo) / 255 : 1;
      const zp = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
      const sName = index.unique(`${c.activation}_scale`);
      const zName = index.unique(`${c.activation}_zero_point`);
      index.addInitializer(floatTensor(sName, [], Float32Array.of(scale)));
      index.addInitializer(int8Tensor(zName, [], Int8Array.of(zp)));
      const q = index.unique(`${c.activation}_QuantizeLinear_Output`);
      actDq = index.unique(`${c.activation}_DequantizeLinear_Output`);
      out.push({ opType: 'QuantizeLinear', name: index.unique(`${c.activation}_QuantizeLinear`), input: [c.activation, sName, zName], output: [q] });
      out.push({ opType: 'DequantizeLinear', name: index.unique(`${c.activation}_DequantizeLinear`), input: [q, sName, zName], output: [actDq] });
      dq.set(c.activation, actDq);
    }
    const wName = c.weight.name ?? '';
    const axis = op === 'Conv' ? 0 : op === 'Gemm' && intAttr(node, 'transB', 0) === 1 ? 0 : 1;
    const wKey = `${wName}|${axis}`;
    let wOut = wdq.get(wKey);
    if (!wOut) {
      const dims = (c.weight.dims ?? []).map(Number);
      const { values: q, scales } = quantizeInt8(tensorFloats(c.weight), dims, axis, o.perChannel, o.weightRange ?? weightRangeFor());
      const qName = index.unique(`${wName}_quantized`);
      const sName = index.unique(`${wName}_scale`);
      const zName = index.unique(`${wName}_zero_point`);
      index.addInitializer(int8Tensor(qName, dims, q));
      index.addInitializer(floatTensor(sName, scales.length === 1 ? [] : [scales.length], scales));
      index.addInitializer(int8Tensor(zName, scales.length === 1 ? [] : [scales.length], new Int8Array(scales.length)));
      wOut = index.unique(`${wName}_DequantizeLinear_Output`);
      out.push({ opType: 'DequantizeLinear', name: index.unique(`${wName}_DequantizeLinear`), input: [qName, sName, zName], output: [wOut], attribute: scales.length > 1 ? [attr('axis', axis, 'int')] : [] });
      wdq.set(wKey, wOut);
    }
    const inputs = [...(node.input ?? [])];
    inputs[0] = actDq;
    inputs[1] = wOut;
    out.push({ ...node, input: inputs });
    quantized.push({ node: node.name ?? '', op });
  }
  graph.node = out;
  const used = new Set<string>();
  for (const n of out) for (const i of n.input ?? []) used.add(i);
  graph.initializer = (graph.initializer ?? []).filter((t) => used.has(t.name ?? ''));
  model.producerName = 'hub-inference-quantize';
  return { model, quantized, skipped };
}
