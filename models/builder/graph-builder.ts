/**
 * A small imperative helper for writing ONNX graphs: add nodes and initializers with stable, readable
 * names, then emit a ModelProto. Names derive from a caller-given scope plus a per-op counter, so the
 * same build steps always give the same graph (and the same file bytes).
 */
import {
  OnnxDataType, attr, floatTensor, int64Tensor, valueInfo,
  type AttributeProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from '../../src/onnx/onnx-io.js';
import { uniformValues } from './prng.js';

/** ONNX opset of the default domain used by every bundled model (LayerNormalization needs >= 17). */
export const OPSET = 17;
/** IR version matching opset 17 (ONNX 1.12+), loadable by every onnxruntime release since 1.12. */
export const IR_VERSION = 8;

/** Attribute values accepted by `GraphBuilder.op`. */
export type AttrValue = number | string | number[];

/** Accumulates nodes and initializers of one graph. */
export class GraphBuilder {
  readonly #nodes: NodeProto[] = [];
  readonly #initializers: TensorProto[] = [];
  readonly #counters = new Map<string, number>();
  readonly #names = new Set<string>();

  /** @param model the model name; it prefixes every weight's PRNG key, so two models never share weights. */
  constructor(readonly model: string) {}

  /** Adds a node and returns its (first) output name, `<scope>/<OpType>_<n>` unless given. */
  op(opType: string, inputs: string[], scope: string, attrs: Record<string, AttrValue> = {}, output?: string): string {
    const out = output ?? this.#fresh(`${scope}/${opType}`);
    const attribute: AttributeProto[] = Object.entries(attrs).map(([k, v]) => attr(k, v));
    this.#nodes.push({ name: `${out}_node`, opType, input: inputs, output: [out], ...(attribute.length ? { attribute } : {}) });
    return out;
  }

  /**
   * Adds a float32 weight initialised uniform in [-limit, limit), seeded by model and name. With
   * `centerColumns` each column of a 2-D [in, out] weight is shifted to sum to zero, so a non-negative
   * input mean (after ReLU/GELU) adds no constant offset to the output.
   */
  uniform(name: string, dims: number[], limit: number, opts: { centerColumns?: boolean } = {}): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const values = uniformValues(`${this.model}/${name}`, count, limit);
    if (opts.centerColumns) centerColumns(values, dims);
    return this.#add(floatTensor(this.#claim(name), dims, values));
  }

  /** Adds a float32 initializer filled with one value (LayerNorm gains, zero biases). */
  filled(name: string, dims: number[], value: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    return this.#add(floatTensor(this.#claim(name), dims, new Float32Array(count).fill(value)));
  }

  /** Adds a float32 scalar constant (dims []), broadcast by the elementwise ops. */
  scalar(name: string, value: number): string {
    return this.#add(floatTensor(this.#claim(name), [], Float32Array.of(value)));
  }

  /** Adds a 1-D int64 constant (Reshape shapes, Unsqueeze/ReduceSum axes). */
  ints(name: string, values: number[]): string {
    return this.#add(int64Tensor(this.#claim(name), [values.length], values));
  }

  /** Emits the model. Inputs/outputs are value-infos with dim 0 named "batch". */
  build(meta: { inputs: ValueInfoProto[]; outputs: ValueInfoProto[]; doc: string; recipe: string }): ModelProto {
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'hub-inference-model-builder',
      producerVersion: meta.recipe,
      modelVersion: 1,
      docString: meta.doc,
      graph: {
        name: this.model,
        node: this.#nodes,
        initializer: this.#initializers,
        input: meta.inputs,
        output: meta.outputs,
      },
      metadataProps: [{ key: 'builder.recipe', value: meta.recipe }],
    };
  }

  #fresh(prefix: string): string {
    const n = this.#counters.get(prefix) ?? 0;
    this.#counters.set(prefix, n + 1);
    return this.#claim(`${prefix}_${n}`);
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`duplicate tensor name ${name} in ${this.model}`);
    this.#names.add(name);
    return name;
  }

  #add(t: TensorProto): string {
    this.#initializers.push(t);
    return t.name as string;
  }
}

function centerColumns(values: Float32Array, dims: number[]): void {
  if (dims.length !== 2) throw new Error(`centerColumns needs a 2-D weight, got [${dims.join(', ')}]`);
  const [rows, cols] = dims as [number, number];
  for (let c = 0; c < cols; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += values[r * cols + c] as number;
    const mean = sum / rows;
    for (let r = 0; r < rows; r++) values[r * cols + c] = (values[r * cols + c] as number) - mean;
  }
}

/** A graph input/output of dtype float32 or int64 whose first dim is the symbolic batch. */
export function batchIO(name: string, dtype: 'float32' | 'int64', dims: number[]): ValueInfoProto {
  return valueInfo(name, dtype === 'float32' ? OnnxDataType.FLOAT : OnnxDataType.INT64, ['batch', ...dims]);
}
