/**
 * What the two quantizers (dynamic and static) share: which nodes are quantization targets and why others are
 * left FP32, and the int8/uint8 initializer helpers. One rule, so both modes quantize the same nodes.
 */
import type { NodeProto, TensorProto } from '../src/onnx/onnx-io.js';
import { OnnxDataType } from '../src/onnx/onnx-io.js';
import { intAttr } from '../src/onnx/graph-utils.js';

/** Op types with a constant weight that both quantizers handle. */
export const QUANTIZABLE_OPS: ReadonlySet<string> = new Set(['MatMul', 'Gemm', 'Conv']);

/** Options both quantizers take for choosing targets. */
export interface TargetOptions {
  readonly excludeNodes?: readonly string[];
  readonly excludeOpTypes?: readonly string[];
}

/** A node to quantize: its activation input and its constant float32 weight. */
export interface Target {
  readonly node: NodeProto;
  readonly activation: string;
  readonly weight: TensorProto;
}

/**
 * Classifies a node: a Target, a reason it stays FP32 (`skip`), or undefined for ops no quantizer touches.
 * `transAUnsupported` lets the dynamic quantizer raise its own error for Gemm(transA=1) instead of skipping.
 */
export function classifyNode(node: NodeProto, initializers: ReadonlyMap<string, TensorProto>, o: TargetOptions): { target: Target } | { skip: string } | undefined {
  const op = node.opType ?? '';
  if (!QUANTIZABLE_OPS.has(op) || (node.domain && node.domain !== 'ai.onnx')) return undefined;
  if ((o.excludeNodes ?? []).includes(node.name ?? '') || (o.excludeOpTypes ?? []).includes(op)) return { skip: 'excluded by option' };
  const inputs = node.input ?? [];
  const wName = inputs[1] ?? '';
  const w = initializers.get(wName);
  if (!w) return { skip: op === 'MatMul' ? 'both inputs are activations (e.g. attention); stays FP32' : 'weight is not a constant initializer' };
  if (w.dataType !== OnnxDataType.FLOAT) return { skip: `weight ${wName} is not float32` };
  if (op === 'Gemm' && intAttr(node, 'transA', 0) !== 0) return { skip: 'Gemm with transA=1 stays FP32' };
  return { target: { node, activation: inputs[0] as string, weight: w } };
}

/** An int8 initializer. */
export function int8Tensor(name: string, dims: number[], values: Int8Array): TensorProto {
  return { name, dims, dataType: OnnxDataType.INT8, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** A uint8 initializer. */
export function uint8Tensor(name: string, dims: number[], values: Uint8Array): TensorProto {
  return { name, dims, dataType: OnnxDataType.UINT8, rawData: new Uint8Array(values) };
}
