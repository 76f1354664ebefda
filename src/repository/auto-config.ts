/**
 * Auto-complete of a model's config from its ONNX file (Triton's "auto-complete config"): a folder holding
 * only `<version>/model.onnx`, as an exporter writes it, serves with no hand-written config.json. The graph's
 * declared inputs and outputs give names, dtypes and dims; the batch dim is the leading dynamic dim; every
 * other field takes the one defaults object (model-config.ts). A config.json that exists overrides only the
 * fields it sets: `inputs`/`outputs` it declares are kept as they are (and checked against the model at load).
 */
import type { ModelProto, ValueInfoProto } from '../onnx/onnx-io.js';
import { OnnxDataType } from '../onnx/onnx-io.js';
import type { DType } from '../tensor/tensor.js';

/** ONNX element types the service serves, and their dtype. */
const ONNX_DTYPES: Readonly<Record<number, DType>> = {
  [OnnxDataType.FLOAT]: 'float32', [OnnxDataType.FLOAT16]: 'float16', [OnnxDataType.INT64]: 'int64',
  [OnnxDataType.INT32]: 'int32', [OnnxDataType.UINT8]: 'uint8', [OnnxDataType.BOOL]: 'bool',
};
const ONNX_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(OnnxDataType).map(([k, v]) => [v, k]));

/** One graph input or output as the ONNX file declares it. */
export interface OnnxTensorSignature {
  readonly name: string;
  /** ONNX element type number (TensorProto.DataType). */
  readonly elemType: number;
  /** Each dim: a fixed size, the dim_param name of a dynamic dim, or null when the file says nothing. */
  readonly dims: readonly (number | string | null)[];
}

/** The graph's declared signature. */
export interface OnnxSignature {
  readonly inputs: readonly OnnxTensorSignature[];
  readonly outputs: readonly OnnxTensorSignature[];
}

/** Why a model cannot be auto-completed; the message says what to change. */
export class AutoConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AutoConfigError';
  }
}

/** elemType of a graph value that is not a tensor (a sequence or a map). */
const NOT_A_TENSOR = -1;

function tensorSignature(v: ValueInfoProto): OnnxTensorSignature {
  const t = v.type?.tensorType;
  if (!t) return { name: v.name ?? '', elemType: NOT_A_TENSOR, dims: [] };
  const dims = (t?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue > 0 ? d.dimValue : d.dimParam ? d.dimParam : null));
  return { name: v.name ?? '', elemType: t?.elemType ?? 0, dims };
}

/** The declared inputs (initializers listed as inputs by old IR versions excluded) and outputs of a model. */
export function onnxSignature(model: ModelProto): OnnxSignature {
  const g = model.graph;
  if (!g) throw new AutoConfigError('the file has no graph');
  const initializers = new Set((g.initializer ?? []).map((t) => t.name));
  return {
    inputs: (g.input ?? []).filter((v) => !initializers.has(v.name)).map(tensorSignature),
    outputs: (g.output ?? []).map(tensorSignature),
  };
}

/** A config tensor spec (`shape` with -1 for dynamic dims) from a declared ONNX tensor. */
function specOf(kind: 'input' | 'output', t: OnnxTensorSignature): { name: string; dtype: DType; shape: number[] } {
  if (t.elemType === NOT_A_TENSOR) {
    throw new AutoConfigError(`${kind} "${t.name}" is not a tensor (a sequence or map, such as skl2onnx's ZipMap output); convert with zipmap=False, or drop that output`);
  }
  const dtype = ONNX_DTYPES[t.elemType];
  if (!dtype) {
    throw new AutoConfigError(`${kind} "${t.name}" has ONNX type ${ONNX_TYPE_NAMES[t.elemType] ?? t.elemType}; hub-inference serves ${Object.values(ONNX_DTYPES).join(', ')} (cast it in the exported graph)`);
  }
  if (t.dims.length === 0) throw new AutoConfigError(`${kind} "${t.name}" is a scalar; every input and output needs a leading batch dim`);
  const [first, ...rest] = t.dims;
  if (typeof first === 'number') {
    throw new AutoConfigError(`${kind} "${t.name}" has no batch dim: dim 0 is fixed at ${first}. Export it with a dynamic batch axis (torch.onnx.export(..., dynamic_axes={"${t.name}": {0: "batch"}})), or write a config.json`);
  }
  return { name: t.name, dtype, shape: [-1, ...rest.map((d) => (typeof d === 'number' ? d : -1))] };
}

/** What auto-complete added, for the start-up log, ListModels and GetModelMetadata. */
export interface AutoCompleted {
  /** The config object to validate: the declared fields, plus what the model file says. */
  readonly raw: Record<string, unknown>;
  /** Fields taken from the model file (empty when config.json declared everything). */
  readonly inferred: readonly string[];
}

/**
 * Completes a config for model `name` from the ONNX signature. `declared` is the parsed config.json, or
 * undefined when there is none; `source` names the ONNX file in messages (relative to the repository).
 */
export function autoCompleteConfig(name: string, sig: OnnxSignature, declared: Record<string, unknown> | undefined, source: string): AutoCompleted {
  const raw: Record<string, unknown> = { ...(declared ?? {}) };
  const inferred: string[] = [];
  if (raw['name'] === undefined) { raw['name'] = name; if (declared) inferred.push('name'); }
  try {
    for (const kind of ['inputs', 'outputs'] as const) {
      if (raw[kind] !== undefined) continue;
      const list = kind === 'inputs' ? sig.inputs : sig.outputs;
      if (list.length === 0) throw new AutoConfigError(`the graph declares no ${kind}`);
      raw[kind] = list.map((t) => specOf(kind === 'inputs' ? 'input' : 'output', t));
      inferred.push(kind);
    }
  } catch (e) {
    if (e instanceof AutoConfigError) throw new AutoConfigError(`${source}: cannot complete the config from the model: ${e.message}`);
    throw e;
  }
  if (!declared) raw['description'] = `auto-completed from ${source}`;
  return { raw, inferred };
}
