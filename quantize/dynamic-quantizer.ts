/**
 * Dynamic INT8 quantization: constant weights of MatMul, Gemm and Conv become integers offline; activations
 * are quantized at run time, by default with one scale per row (quantize/per-row-activations.ts), so a row's
 * answer never depends on its batch-mates.
 *
 * MatMul/Gemm become MatMulInteger against an int8 symmetric weight (zero point 0, omitted), one scale per
 * output column (per channel) or one per tensor. Conv becomes ConvInteger, which ONNX Runtime's CPU provider
 * runs only for uint8 x uint8, so Conv weights are uint8 asymmetric per tensor. MatMuls between two
 * activations (attention scores, context) stay FP32. A weight shared by several nodes is quantized once, and
 * an activation feeding several nodes is quantized once. The batch-dependent form of ONNX Runtime's
 * `quantize_dynamic` (DynamicQuantizeLinear, one scale per batch) stays available under its own name.
 */
import type { ModelProto, NodeProto, TensorProto } from '../src/onnx/onnx-io.js';
import { attr, floatTensor, OnnxDataType, tensorFloats } from '../src/onnx/onnx-io.js';
import { GraphIndex, floatAttr, intAttr, nodeLabel } from '../src/onnx/graph-utils.js';
import { weightRangeFor, type WeightRange } from '../src/engine/int8-host.js';
import { quantizeMatrixInt8, quantizeUint8, transpose } from './weight-quantization.js';
import { classifyNode, int8Tensor, uint8Tensor } from './quantize-targets.js';
import { PerRowActivations, type IntMatrix } from './per-row-activations.js';

/**
 * How activations get their scale at run time.
 * - `per-row` (default): one symmetric scale per row (per token for 3-D activations, per sample for Conv)
 *   from that row's own max |x|, so a row's answer never depends on its batch-mates (DESIGN: "a row's answer
 *   depends on that row alone"). Standard ops only; see per-row-activations.ts.
 * - `per-tensor-batch-dependent`: ONNX DynamicQuantizeLinear, one scale per whole batch, which ORT fuses into
 *   DynamicQuantizeMatMul, but a batch-mate with large values changes every other row's answer.
 */
export type ActivationScaling = 'per-row' | 'per-tensor-batch-dependent';

/** Options of dynamic quantization. */
export interface DynamicQuantizeOptions {
  readonly perChannel: boolean;
  /** int8 weights in [-127, 127] or in 7 bits; default: what this host needs (src/engine/int8-host.ts). */
  readonly weightRange?: WeightRange;
  /** Default 'per-row'. */
  readonly activations?: ActivationScaling;
  /** Node names kept FP32. */
  readonly excludeNodes?: readonly string[];
  /** Op types kept FP32 (e.g. ['Conv']). */
  readonly excludeOpTypes?: readonly string[];
}

/** What was quantized and what was left FP32 (and why). */
export interface QuantizeOutcome {
  readonly model: ModelProto;
  readonly quantized: { node: string; op: string }[];
  readonly skipped: { node: string; op: string; reason: string }[];
}

/** The graph cannot be quantized as asked; the message names the node. */
export class QuantizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantizeError';
  }
}


/** Quantizes a model's weights dynamically; the input model is not modified. */
export function quantizeDynamic(source: ModelProto, options: DynamicQuantizeOptions): QuantizeOutcome {
  const model = structuredClone(source);
  const graph = model.graph;
  if (!graph) throw new QuantizeError('the model has no graph');
  const index = new GraphIndex(graph);
  const quantized: { node: string; op: string }[] = [];
  const skipped: { node: string; op: string; reason: string }[] = [];
  const activations = new Map<string, { q: string; scale: string; zp: string }>();
  const int8Weights = new Map<string, IntMatrix>();
  const out: NodeProto[] = [];

  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 13;
  const perRow = (options.activations ?? 'per-row') === 'per-row';
  const rows = new PerRowActivations(index, out, opset);

  const quantizeActivation = (name: string, prefix: string): { q: string; scale: string; zp: string } => {
    let a = activations.get(name);
    if (!a) {
      a = { q: index.unique(`${name}_quantized`), scale: index.unique(`${name}_scale`), zp: index.unique(`${name}_zero_point`) };
      out.push({ opType: 'DynamicQuantizeLinear', name: index.unique(`${prefix}${name}_DynamicQuantizeLinear`), input: [name], output: [a.q, a.scale, a.zp] });
      activations.set(name, a);
    }
    return a;
  };

  const weightInt8 = (w: TensorProto, transposed: boolean, alpha: number): IntMatrix => {
    const key = `${w.name}|${transposed}|${alpha}`;
    let q = int8Weights.get(key);
    if (!q) {
      const dims = (w.dims ?? []).map(Number);
      let values = tensorFloats(w);
      let [k, n] = dims as [number, number];
      if (transposed) { values = transpose(values, k, n); [k, n] = [n, k]; }
      const iw = quantizeMatrixInt8(values, k, n, options.perChannel, options.weightRange ?? weightRangeFor());
      const scales = alpha === 1 ? iw.scales : iw.scales.map((s) => s * alpha);
      q = { q: index.unique(`${w.name}_quantized`), scale: index.unique(`${w.name}_scale`), k, n };
      index.addInitializer(int8Tensor(q.q, [k, n], iw.values));
      index.addInitializer(floatTensor(q.scale, scales.length === 1 ? [] : [scales.length], scales));
      int8Weights.set(key, q);
    }
    return q;
  };

  /** Appends activation `a` x the int8 weight as floats named `output`. */
  const integerMatMul = (node: NodeProto, a: string, w: IntMatrix, output: string): void => {
    const base = node.name || output;
    // Gemm's A is 2-D by definition; a MatMul's may have any rank.
    if (perRow) { rows.matMul(a, w, output, base, node.opType === 'Gemm'); return; }
    const act = quantizeActivation(a, '');
    const mm = index.unique(`${output}_MatMulInteger_out`);
    const cast = index.unique(`${output}_cast`);
    const scale = index.unique(`${output}_combined_scale`);
    out.push({ opType: 'MatMulInteger', name: index.unique(`${base}_quant`), input: [act.q, w.q, act.zp], output: [mm] });
    out.push({ opType: 'Mul', name: index.unique(`${base}_scales_mul`), input: [act.scale, w.scale], output: [scale] });
    out.push({ opType: 'Cast', name: index.unique(`${base}_output_cast`), input: [mm], output: [cast], attribute: [attr('to', OnnxDataType.FLOAT, 'int')] });
    out.push({ opType: 'Mul', name: index.unique(`${base}_output_scale_mul`), input: [cast, scale], output: [output] });
  };

  for (const node of graph.node ?? []) {
    const op = node.opType ?? '';
    const label = node.name || (node.output ?? [])[0] || '?';
    const c0 = classifyNode(node, index.initializers, options);
    if (!c0) { out.push(node); continue; }
    if ('skip' in c0) {
      skipped.push({ node: label, op, reason: c0.skip });
      out.push(node);
      continue;
    }
    const inputs = node.input ?? [];
    const w = c0.target.weight;
    const wName = w.name ?? '';
    const dims = (w.dims ?? []).map(Number);
    const output = (node.output ?? [])[0] as string;

    if (op === 'MatMul') {
      if (dims.length !== 2) { skipped.push({ node: label, op, reason: `weight ${wName} has rank ${dims.length}; only 2-D weights are quantized` }); out.push(node); continue; }
      integerMatMul(node, inputs[0] as string, weightInt8(w, false, 1), output);
      quantized.push({ node: label, op });
      continue;
    }

    if (op === 'Gemm') {
      if (dims.length !== 2) throw new QuantizeError(`${nodeLabel(node)}: weight ${wName} must be 2-D, got [${dims.join(',')}]`);
      const alpha = floatAttr(node, 'alpha', 1);
      const beta = floatAttr(node, 'beta', 1);
      const c = inputs[2];
      const mmOut = c ? index.unique(`${output}_matmul`) : output;
      integerMatMul(node, inputs[0] as string, weightInt8(w, intAttr(node, 'transB', 0) === 1, alpha), mmOut);
      if (c) {
        let bias = c;
        if (beta !== 1) {
          const ct = index.initializers.get(c);
          if (!ct) throw new QuantizeError(`${nodeLabel(node)}: beta=${beta} with a non-constant C is not supported`);
          bias = index.unique(`${c}_beta`);
          index.addInitializer(floatTensor(bias, (ct.dims ?? []).map(Number), tensorFloats(ct).map((v) => v * beta)));
        }
        out.push({ opType: 'Add', name: index.unique(`${label}_bias_add`), input: [mmOut, bias], output: [output] });
      }
      quantized.push({ node: label, op });
      continue;
    }

    // Conv -> ConvInteger (uint8 activations x uint8 weights: the combination ORT's CPU kernel runs).
    if (dims.length < 3) throw new QuantizeError(`${nodeLabel(node)}: weight ${wName} must have rank >= 3, got [${dims.join(',')}]`);
    const uw = quantizeUint8(tensorFloats(w));
    const wq = index.unique(`${wName}_quantized`);
    const wzp = index.unique(`${wName}_zero_point`);
    const wscale = index.unique(`${wName}_scale`);
    index.addInitializer(uint8Tensor(wq, dims, uw.values));
    index.addInitializer(uint8Tensor(wzp, [], Uint8Array.of(uw.zeroPoint)));
    index.addInitializer(floatTensor(wscale, [], Float32Array.of(uw.scale)));
    const convOut = index.unique(`${output}_ConvInteger_out`);
    const scaled = inputs[2] ? index.unique(`${output}_scaled`) : output;
    const convAttributes = (node.attribute ?? []).filter((a) => ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'].includes(a.name ?? ''));
    if (perRow) {
      const act = rows.samples(inputs[0] as string, dims.length);
      out.push({ opType: 'ConvInteger', name: index.unique(`${label}_quant`), input: [act.q, wq, act.zp, wzp], output: [convOut], attribute: convAttributes });
      act.rescale(convOut, wscale, scaled, label);
    } else {
      const act = quantizeActivation(inputs[0] as string, '');
      const cast = index.unique(`${output}_cast`);
      const scale = index.unique(`${output}_combined_scale`);
      out.push({ opType: 'ConvInteger', name: index.unique(`${label}_quant`), input: [act.q, wq, act.zp, wzp], output: [convOut], attribute: convAttributes });
      out.push({ opType: 'Mul', name: index.unique(`${label}_scales_mul`), input: [act.scale, wscale], output: [scale] });
      out.push({ opType: 'Cast', name: index.unique(`${label}_output_cast`), input: [convOut], output: [cast], attribute: [attr('to', OnnxDataType.FLOAT, 'int')] });
      out.push({ opType: 'Mul', name: index.unique(`${label}_output_scale_mul`), input: [cast, scale], output: [scaled] });
    }
    if (inputs[2]) {
      const b = index.initializers.get(inputs[2]);
      if (!b) throw new QuantizeError(`${nodeLabel(node)}: bias ${inputs[2]} must be a constant initializer`);
      const rank = (node.attribute ?? []).find((a) => a.name === 'kernel_shape')?.ints?.length ?? dims.length - 2;
      const biasName = index.unique(`${inputs[2]}_reshaped`);
      index.addInitializer(floatTensor(biasName, [1, dims[0] as number, ...new Array<number>(rank).fill(1)], tensorFloats(b)));
      out.push({ opType: 'Add', name: index.unique(`${label}_bias_add`), input: [scaled, biasName], output: [output] });
    }
    quantized.push({ node: label, op });
  }

  graph.node = out;
  // Drop initializers nothing reads any more (the FP32 weights that were replaced).
  const used = new Set<string>();
  for (const n of out) for (const i of n.input ?? []) used.add(i);
  for (const o of graph.output ?? []) used.add(o.name ?? '');
  graph.initializer = (graph.initializer ?? []).filter((t) => used.has(t.name ?? ''));
  graph.input = (graph.input ?? []).filter((v) => !index.initializers.has(v.name ?? '') || used.has(v.name ?? ''));
  model.producerName = 'hub-inference-quantize';
  return { model, quantized, skipped };
}
