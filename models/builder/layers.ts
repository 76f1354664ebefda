/**
 * Layer recipes composed from plain opset-17 ops. Dense layers are MatMul (constant weight) + Add (bias)
 * rather than Gemm, so the quantize pipeline sees the MatMul-with-initializer pattern it rewrites into
 * MatMulInteger, and MatMul handles the 3-D [batch, seq, hidden] activations of the transformer.
 */
import type { GraphBuilder } from './graph-builder.js';

/** Kaiming-uniform bound for a layer followed by ReLU/GELU: keeps activation variance ~constant (He et al. 2015). */
export function heLimit(fanIn: number): number {
  return Math.sqrt(6 / fanIn);
}

/** Xavier/Glorot-uniform bound for a linear (no nonlinearity) projection. */
export function xavierLimit(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/**
 * y = x W + b with W [inDim, outDim] uniform in ±limit and b uniform in ±biasLimit; `centerColumns` makes
 * W's columns sum to zero (see GraphBuilder.uniform).
 */
export function linear(g: GraphBuilder, x: string, scope: string, inDim: number, outDim: number, limit: number,
  opts: { biasLimit?: number; centerColumns?: boolean } = {}): string {
  const biasLimit = opts.biasLimit ?? 0.01;
  const w = g.uniform(`${scope}/weight`, [inDim, outDim], limit, { centerColumns: opts.centerColumns ?? false });
  const b = biasLimit > 0 ? g.uniform(`${scope}/bias`, [outDim], biasLimit) : g.filled(`${scope}/bias`, [outDim], 0);
  return g.op('Add', [g.op('MatMul', [x, w], scope), b], scope);
}

/** LayerNormalization over the last axis with unit gain and zero shift (opset 17 op). */
export function layerNorm(g: GraphBuilder, x: string, scope: string, dim: number): string {
  const gamma = g.filled(`${scope}/gamma`, [dim], 1);
  const beta = g.filled(`${scope}/beta`, [dim], 0);
  return g.op('LayerNormalization', [x, gamma, beta], scope, { axis: -1, epsilon: 1e-5 });
}

/**
 * Exact GELU, 0.5 * x * (1 + erf(x / sqrt(2))): opset 17 has no Gelu op in the default domain. The
 * Div-by-sqrt(2) form is the one onnxruntime's GeluFusion recognises, so ORT runs it as one fused kernel.
 */
export function gelu(g: GraphBuilder, x: string, scope: string): string {
  const sqrt2 = g.scalar(`${scope}/sqrt2`, Math.SQRT2);
  const one = g.scalar(`${scope}/one`, 1);
  const half = g.scalar(`${scope}/half`, 0.5);
  const erf = g.op('Erf', [g.op('Div', [x, sqrt2], scope)], scope);
  return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, one], scope)], scope), half], scope);
}
