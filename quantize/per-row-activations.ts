/**
 * Per-row dynamic activation quantization in standard ONNX ops: each row (each token of a 3-D activation,
 * each sample of a Conv input) gets its own symmetric scale max|row| / 127, so a row's INT8 answer depends on
 * that row alone (DESIGN: "a row's answer depends on that row alone"), unlike DynamicQuantizeLinear's one
 * scale per batch.
 *
 * Opset >= 13 (the usual case), MatMul/Gemm with A [..., K] and an int8 weight [K, N]:
 *   Reshape(A, [-1, K]) -> Abs -> ReduceMax(axis 1) -> Max(eps) -> Div(127)          row scale s [M]
 *   QuantizeLinear(A2d, s, zp = 128 per row, axis 0)                                uint8 [M, K]
 *   MatMulInteger(q, W, 128) -> DequantizeLinear(s, axis 0) -> Mul(weight scale)    float [M, N]
 *   Reshape back to [..., N]                                  (Gemm's A is 2-D already: no Reshapes)
 * Rows that follow a Relu are never negative and use [0, max] instead (scale max / 255, zero point 0, no Abs).
 * Measured on lead-intent with ONNX Runtime 1.30's CPU provider while choosing this form: the per-axis
 * QuantizeLinear/DequantizeLinear kernels make it 1.3-1.45x faster than the same arithmetic in Mul/Add/Cast,
 * on par with the fused per-tensor DynamicQuantizeMatMul (bench/quantize/row-isolation.ts). It rests on:
 * - uint8 activations with the constant zero point 128, not int8: ORT runs int8 x int8 MatMulInteger on a
 *   generic kernel (~6x slower here); uint8 x int8 takes the fast (VNNI) path.
 * - symmetric scales: ORT's CPU MatMulInteger refuses a per-row (1-D) a_zero_point, so an asymmetric row
 *   range would need an extra correction pass over the output.
 * - the 2-D view: per-axis QuantizeLinear/DequantizeLinear take a 1-D scale along one axis only, and the
 *   per-axis DequantizeLinear along the last axis (the weight scale) is slow, so the weight scale is a Mul.
 * Opsets 11-12 have no per-axis QuantizeLinear: there the same arithmetic is spelled
 * Mul(127 / max) -> Add(128.5) -> Cast(uint8) (Cast truncates, so +0.5 rounds), and the rescale
 * Cast -> Mul(row scale) -> Mul(weight scale), on the activation's own rank.
 */
import type { NodeProto, TensorProto } from '../src/onnx/onnx-io.js';
import { attr, floatTensor, int64Tensor, OnnxDataType } from '../src/onnx/onnx-io.js';
import type { GraphIndex } from '../src/onnx/graph-utils.js';
import { uint8Tensor } from './quantize-targets.js';

/** The zero point of a per-row quantized activation: symmetric int8 values shifted into uint8. */
const ZERO_POINT = 128;

/**
 * Ops whose outputs are never negative: their consumers' rows are quantized over [0, max] with 255 levels and
 * zero point 0 instead of [-max, max] with 255 (twice the resolution, and no Abs pass).
 */
const NON_NEGATIVE_OPS: ReadonlySet<string> = new Set(['Relu']);

/** An int8 weight matrix in the graph: values [k, n] and its scale (one, or n per output column). */
export interface IntMatrix {
  readonly q: string;
  readonly scale: string;
  readonly k: number;
  readonly n: number;
}

/** A quantized activation: the uint8 codes, their zero point and the per-row scale. */
interface RowCodes {
  /** uint8 codes: [M, K] in the 2-D form, the activation's own shape in the elementwise form. */
  readonly q: string;
  readonly zp: string;
  /** [M] in the 2-D form, the activation's shape with the quantized axes kept as 1 in the elementwise form. */
  readonly scale: string;
}

/** The largest code magnitude: 127 each side of the zero point, or 255 above 0 for a non-negative row. */
function levels(nonNegative: boolean): number {
  return nonNegative ? 255 : 127;
}

/** Writes per-row quantization subgraphs into `out`, quantizing each activation once for all its consumers. */
export class PerRowActivations {
  readonly #index: GraphIndex;
  readonly #out: NodeProto[];
  readonly #opset: number;
  readonly #cache = new Map<string, string | RowCodes>();
  readonly #nonNegative = new Set<string>();

  /** `out` receives the new nodes in order; `opset` is the model's default-domain opset. */
  constructor(index: GraphIndex, out: NodeProto[], opset: number) {
    this.#index = index;
    this.#out = out;
    this.#opset = opset;
    for (const node of index.graph.node ?? []) {
      if ((!node.domain || node.domain === 'ai.onnx') && NON_NEGATIVE_OPS.has(node.opType ?? '')) for (const o of node.output ?? []) this.#nonNegative.add(o);
    }
  }

  /**
   * Appends `output = activation [..., k] x weight [k, n]` with a per-row (per-token) activation scale.
   * `twoD`: the activation is known to be [M, k] (Gemm's A), so no reshaping is needed.
   */
  matMul(activation: string, weight: IntMatrix, output: string, base: string, twoD: boolean): void {
    const { k, n } = weight;
    const name = (s: string): string => this.#index.unique(`${output}_${s}`);
    const mm = name('MatMulInteger_out');
    if (this.#opset < 13) {
      const a = this.#elementwise(activation, [-1]);
      const cast = name('cast');
      const rowScaled = name('row_scaled');
      this.#out.push(
        { opType: 'MatMulInteger', name: this.#index.unique(`${base}_quant`), input: [a.q, weight.q, a.zp], output: [mm] },
        { opType: 'Cast', name: this.#index.unique(`${base}_output_cast`), input: [mm], output: [cast], attribute: [attr('to', OnnxDataType.FLOAT, 'int')] },
        { opType: 'Mul', name: this.#index.unique(`${base}_row_scale_mul`), input: [cast, a.scale], output: [rowScaled] },
        { opType: 'Mul', name: this.#index.unique(`${base}_weight_scale_mul`), input: [rowScaled, weight.scale], output: [output] },
      );
      return;
    }
    const flat = twoD ? activation : this.#once(`flat|${activation}|${k}`, () => {
      const f = this.#index.unique(`${activation}_rows`);
      const rows = this.#constant(`${activation}_rows_shape`, `rows_shape_${k}`, (t) => int64Tensor(t, [2], [-1, k]));
      this.#out.push({ opType: 'Reshape', name: this.#index.unique(`${activation}_Reshape_rows`), input: [activation, rows], output: [f] });
      return f;
    });
    const a = this.#rows(flat, this.#nonNegative.has(activation));
    const dq = name('row_scaled');
    const y2d = twoD ? output : name('rows');
    this.#out.push(
      { opType: 'MatMulInteger', name: this.#index.unique(`${base}_quant`), input: [a.q, weight.q, a.zp], output: [mm] },
      { opType: 'DequantizeLinear', name: this.#index.unique(`${base}_row_scale`), input: [mm, a.scale], output: [dq], attribute: [attr('axis', 0, 'int')] },
      { opType: 'Mul', name: this.#index.unique(`${base}_weight_scale_mul`), input: [dq, weight.scale], output: [y2d] },
    );
    if (!twoD) this.#out.push({ opType: 'Reshape', name: this.#index.unique(`${base}_Reshape_back`), input: [y2d, this.#outputShape(activation, n)], output: [output] });
  }

  /**
   * Quantizes a Conv input [B, C, ...] with one scale per sample; returns the uint8 codes in the input's shape,
   * their zero point, and `rescale`, which turns the ConvInteger output into floats times `weightScale`.
   */
  samples(x: string, rank: number): { q: string; zp: string; rescale: (convOut: string, weightScale: string, output: string, base: string) => void } {
    if (this.#opset < 13) {
      const a = this.#elementwise(x, Array.from({ length: rank - 1 }, (_, i) => i + 1));
      return {
        q: a.q, zp: a.zp,
        rescale: (convOut, weightScale, output, base) => {
          const cast = this.#index.unique(`${output}_cast`);
          const rowScaled = this.#index.unique(`${output}_sample_scaled`);
          this.#out.push(
            { opType: 'Cast', name: this.#index.unique(`${base}_output_cast`), input: [convOut], output: [cast], attribute: [attr('to', OnnxDataType.FLOAT, 'int')] },
            { opType: 'Mul', name: this.#index.unique(`${base}_sample_scale_mul`), input: [cast, a.scale], output: [rowScaled] },
            { opType: 'Mul', name: this.#index.unique(`${base}_weight_scale_mul`), input: [rowScaled, weightScale], output: [output] },
          );
        },
      };
    }
    const flat = this.#once(`samples|${x}`, () => {
      const f = this.#index.unique(`${x}_samples`);
      this.#out.push({ opType: 'Flatten', name: this.#index.unique(`${x}_Flatten_samples`), input: [x], output: [f], attribute: [attr('axis', 1, 'int')] });
      return f;
    });
    const a = this.#rows(flat, this.#nonNegative.has(x));
    const q = this.#once(`sample_codes|${x}`, () => {
      const shape = this.#index.unique(`${x}_shape`);
      const codes = this.#index.unique(`${x}_sample_codes`);
      this.#out.push(
        { opType: 'Shape', name: this.#index.unique(`${x}_Shape`), input: [x], output: [shape] },
        { opType: 'Reshape', name: this.#index.unique(`${x}_Reshape_samples`), input: [a.q, shape], output: [codes] },
      );
      return codes;
    });
    return {
      q, zp: a.zp,
      // DequantizeLinear's per-axis scale along axis 0 is one scale per sample of the [B, C, ...] output.
      rescale: (convOut, weightScale, output, base) => {
        const dq = this.#index.unique(`${output}_sample_scaled`);
        this.#out.push(
          { opType: 'DequantizeLinear', name: this.#index.unique(`${base}_sample_scale`), input: [convOut, a.scale], output: [dq], attribute: [attr('axis', 0, 'int')] },
          { opType: 'Mul', name: this.#index.unique(`${base}_weight_scale_mul`), input: [dq, weightScale], output: [output] },
        );
      },
    };
  }

  /** Per-row uint8 codes of a 2-D [M, K] tensor (opset >= 13), with the scale [M]. */
  #rows(x2d: string, nonNegative: boolean): RowCodes {
    const cached = this.#cache.get(`codes|${x2d}`);
    if (cached && typeof cached !== 'string') return cached;
    const n = (s: string): string => this.#index.unique(`${x2d}_${s}`);
    const { scale } = this.#scale(x2d, [1], false, nonNegative);
    if (nonNegative) {
      // Without a zero point QuantizeLinear writes uint8 codes with zero point 0.
      const q = n('codes');
      this.#out.push({ opType: 'QuantizeLinear', name: n('QuantizeLinear'), input: [x2d, scale], output: [q], attribute: [attr('axis', 0, 'int')] });
      const codes: RowCodes = { q, zp: this.#zeroPoint(0), scale };
      this.#cache.set(`codes|${x2d}`, codes);
      return codes;
    }
    const rowsOf = n('scale_shape');
    const zp = n('zero_point');
    const q = n('codes');
    // The zero point must have the scale's shape for per-axis QuantizeLinear; ConstantOfShape makes it without a pass over the data.
    this.#out.push(
      { opType: 'Shape', name: n('Shape'), input: [scale], output: [rowsOf] },
      { opType: 'ConstantOfShape', name: n('ConstantOfShape'), input: [rowsOf], output: [zp], attribute: [attr('value', uint8Tensor('value', [1], Uint8Array.of(ZERO_POINT)))] },
      { opType: 'QuantizeLinear', name: n('QuantizeLinear'), input: [x2d, scale, zp], output: [q], attribute: [attr('axis', 0, 'int')] },
    );
    const codes: RowCodes = { q, zp: this.#zeroPoint(ZERO_POINT), scale };
    this.#cache.set(`codes|${x2d}`, codes);
    return codes;
  }

  /** Per-row uint8 codes in the elementwise form (opsets 11-12), keeping the activation's rank. */
  #elementwise(x: string, axes: number[]): RowCodes {
    const key = `elementwise|${x}|${axes.join(',')}`;
    const cached = this.#cache.get(key);
    if (cached && typeof cached !== 'string') return cached;
    const n = (s: string): string => this.#index.unique(`${x}_rowq_${s}`);
    const nonNegative = this.#nonNegative.has(x);
    const { scale, safe } = this.#scale(x, axes, true, nonNegative);
    const inv = n('inv_scale');
    const scaled = n('scaled');
    const shifted = n('shifted');
    const q = n('codes');
    const zp = nonNegative ? 0 : ZERO_POINT;
    // x / scale lies in [-127, 127] ([0, 255] when non-negative); + zero point + 0.5 then Cast (which truncates)
    // rounds it to the uint8 code.
    this.#out.push(
      { opType: 'Div', name: n('Div_inverse'), input: [this.#float(`rowq_${levels(nonNegative)}`, levels(nonNegative)), safe], output: [inv] },
      { opType: 'Mul', name: n('Mul'), input: [x, inv], output: [scaled] },
      { opType: 'Add', name: n('Add_zero_point'), input: [scaled, this.#float(`rowq_${zp}_5`, zp + 0.5)], output: [shifted] },
      { opType: 'Cast', name: n('Cast'), input: [shifted], output: [q], attribute: [attr('to', OnnxDataType.UINT8, 'int')] },
    );
    const codes: RowCodes = { q, zp: this.#zeroPoint(zp), scale };
    this.#cache.set(key, codes);
    return codes;
  }

  /**
   * max |x| over `axes`, guarded against 0 (`safe`), and the scale of each row: that / 127 (symmetric), or
   * max x / 255 when x is never negative.
   */
  #scale(x: string, axes: number[], keepDims: boolean, nonNegative: boolean): { safe: string; scale: string } {
    const n = (s: string): string => this.#index.unique(`${x}_${s}`);
    const abs = nonNegative ? x : n('abs');
    const max = n('absmax');
    const safe = n('absmax_safe');
    const scale = n('scale');
    const keep = attr('keepdims', keepDims ? 1 : 0, 'int');
    // ReduceMax takes its axes as an input from opset 18 on, as an attribute before.
    const reduce: NodeProto = this.#opset >= 18
      ? { opType: 'ReduceMax', name: n('ReduceMax'), input: [abs, this.#constant(`${x}_axes`, `axes_${axes.join('_')}`, (t) => int64Tensor(t, [axes.length], axes))], output: [max], attribute: [keep] }
      : { opType: 'ReduceMax', name: n('ReduceMax'), input: [abs], output: [max], attribute: [attr('axes', axes), keep] };
    if (!nonNegative) this.#out.push({ opType: 'Abs', name: n('Abs'), input: [x], output: [abs] });
    this.#out.push(
      reduce,
      // An all-zero row gets a tiny scale instead of a division by zero (its products are 0 either way).
      { opType: 'Max', name: n('Max'), input: [max, this.#float('rowq_eps', 1e-30)], output: [safe] },
      { opType: 'Div', name: n('Div_scale'), input: [safe, this.#float(`rowq_${levels(nonNegative)}`, levels(nonNegative))], output: [scale] },
    );
    return { safe, scale };
  }


  /** [...A's leading dims, N]: the shape a 2-D [M, N] result goes back to. */
  #outputShape(activation: string, n: number): string {
    return this.#once(`out_shape|${activation}|${n}`, () => {
      const lead = this.#once(`lead|${activation}`, () => {
        const shape = this.#index.unique(`${activation}_shape`);
        const leading = this.#index.unique(`${activation}_leading_dims`);
        this.#out.push(
          { opType: 'Shape', name: this.#index.unique(`${activation}_Shape`), input: [activation], output: [shape] },
          { opType: 'Slice', name: this.#index.unique(`${activation}_Slice_leading`), input: [shape, this.#constant('rowq_zero', 'int_0', (t) => int64Tensor(t, [1], [0])), this.#constant('rowq_minus_one', 'int_-1', (t) => int64Tensor(t, [1], [-1]))], output: [leading] },
        );
        return leading;
      });
      const out = this.#index.unique(`${activation}_shape_${n}`);
      this.#out.push({ opType: 'Concat', name: this.#index.unique(`${activation}_Concat_shape_${n}`), input: [lead, this.#constant(`rowq_dim_${n}`, `int_${n}`, (t) => int64Tensor(t, [1], [n]))], output: [out], attribute: [attr('axis', 0, 'int')] });
      return out;
    });
  }

  #zeroPoint(value: number): string {
    return this.#constant(`rowq_zero_point_${value}`, `zero_point_${value}`, (t) => uint8Tensor(t, [], Uint8Array.of(value)));
  }

  #float(base: string, value: number): string {
    return this.#constant(base, `float_${value}`, (t) => floatTensor(t, [], Float32Array.of(value)));
  }

  /** An initializer made once per `key`, named after `base`. */
  #constant(base: string, key: string, make: (name: string) => TensorProto): string {
    return this.#once(`const|${key}`, () => {
      const name = this.#index.unique(base);
      this.#index.addInitializer(make(name));
      return name;
    });
  }

  /** A node output (or constant) made once per `key`. */
  #once(key: string, make: () => string): string {
    const v = this.#cache.get(key);
    if (typeof v === 'string') return v;
    const made = make();
    this.#cache.set(key, made);
    return made;
  }
}
