/**
 * Converts between OIP tensors and HostTensor. Inputs come either all as typed `contents` or all as
 * `raw_input_contents` (one little-endian buffer per input, in input order); raw bytes pass through without a
 * per-element copy. Every malformed tensor is an INVALID_INPUT naming the input and the field to fix, so OIP
 * callers get the same kind of actionable message as hub.inference.v1 callers (src/server/tensor-codec.ts).
 */
import { InferenceError } from '../errors/index.js';
import { DTYPE_SIZE, elementCount, formatShape, type DType, type HostTensor } from '../tensor/tensor.js';
import { checkClientString, shapeProblem } from '../server/request-limits.js';
import type { InferInputTensorMessage, InferOutputTensorMessage, ModelInferRequestMessage, OutContents, TensorContentsMessage } from './oip-messages.js';

/** dtype -> OIP datatype string (the Tensor Data Types table of the specification). */
export const OIP_DATATYPE: Readonly<Record<DType, string>> = Object.freeze({
  float32: 'FP32', float16: 'FP16', int64: 'INT64', int32: 'INT32', uint8: 'UINT8', bool: 'BOOL',
});

/** OIP datatype string -> dtype, for the datatypes hub-inference serves. */
export const DTYPE_OF_OIP: Readonly<Record<string, DType>> = Object.freeze(
  Object.fromEntries(Object.entries(OIP_DATATYPE).map(([d, o]) => [o, d as DType])),
);

type ContentsField = keyof TensorContentsMessage;

/** The proto name of each contents field, for messages. */
const PROTO_NAME: Readonly<Record<ContentsField, string>> = {
  boolContents: 'bool_contents', intContents: 'int_contents', int64Contents: 'int64_contents', uintContents: 'uint_contents',
  uint64Contents: 'uint64_contents', fp32Contents: 'fp32_contents', fp64Contents: 'fp64_contents', bytesContents: 'bytes_contents',
};
const CONTENTS_FIELDS = Object.keys(PROTO_NAME) as ContentsField[];

/** The contents field each datatype travels in; FP16 has none (raw only, as the specification says). */
const FIELD_OF: Readonly<Record<DType, ContentsField | undefined>> = {
  float32: 'fp32Contents', int64: 'int64Contents', int32: 'intContents', uint8: 'uintContents', bool: 'boolContents', float16: undefined,
};

/** Largest tensor a request may carry (bytes), as on hub.inference.v1: protects memory from absurd shapes. */
const MAX_TENSOR_BYTES = 256 * 1024 * 1024;

const SUPPORTED = Object.keys(DTYPE_OF_OIP).join(', ');

function bad(name: string, msg: string): InferenceError {
  return new InferenceError('INVALID_INPUT', `input "${name}": ${msg}`);
}

/** The contents fields that hold values. */
function filledFields(c: TensorContentsMessage | null): ContentsField[] {
  return c ? CONTENTS_FIELDS.filter((f) => c[f].length > 0) : [];
}

/** Datatype, shape and byte size of one input, checked. */
function header(t: InferInputTensorMessage): { dtype: DType; shape: number[]; count: number; bytes: number } {
  const name = t.name;
  const dtype = DTYPE_OF_OIP[t.datatype];
  if (!dtype) throw bad(name, `datatype "${t.datatype.slice(0, 32)}" is not supported; use one of ${SUPPORTED}`);
  const shape = t.shape.map(Number);
  const problem = shapeProblem(shape);
  if (problem) throw bad(name, problem);
  const count = elementCount(shape);
  const bytes = count * DTYPE_SIZE[dtype];
  if (!(bytes <= MAX_TENSOR_BYTES)) throw bad(name, `shape ${formatShape(shape)} needs ${bytes} bytes, over the ${MAX_TENSOR_BYTES}-byte limit`);
  return { dtype, shape, count, bytes };
}

/** Decodes one input from its typed contents. */
function fromContents(t: InferInputTensorMessage): HostTensor {
  const { name } = t;
  const { dtype, shape, count } = header(t);
  const filled = filledFields(t.contents);
  const wants = FIELD_OF[dtype];
  if (filled.length > 1) throw bad(name, `set one contents field, not ${filled.map((f) => PROTO_NAME[f]).join(' and ')}`);
  const set = filled[0];
  if (set && set !== wants) {
    throw bad(name, wants ? `datatype ${t.datatype} takes contents.${PROTO_NAME[wants]}, but ${PROTO_NAME[set]} was set` : `FP16 tensors travel only in raw_input_contents, but contents.${PROTO_NAME[set]} was set`);
  }
  if (!wants) {
    if (count === 0) return { dtype, shape, data: new Uint8Array(0) };
    throw bad(name, 'FP16 tensors travel only in raw_input_contents (little-endian IEEE half floats)');
  }
  const values = t.contents?.[wants] ?? [];
  if (values.length !== count) {
    throw bad(name, `contents.${PROTO_NAME[wants]} has ${values.length} values but ${t.datatype} ${formatShape(shape)} needs ${count}` + (values.length === 0 ? ' (or send raw_input_contents)' : ''));
  }
  switch (dtype) {
    case 'float32': return { dtype, shape, data: new Uint8Array(Float32Array.from(values as readonly number[]).buffer) };
    case 'int32': return { dtype, shape, data: new Uint8Array(Int32Array.from(values as readonly number[]).buffer) };
    case 'int64': {
      const a = new BigInt64Array(count);
      const v = values as readonly string[];
      for (let i = 0; i < count; i++) a[i] = BigInt(v[i] as string);
      return { dtype, shape, data: new Uint8Array(a.buffer) };
    }
    case 'uint8': {
      const v = values as readonly number[];
      if (v.some((x) => x > 255)) throw bad(name, 'UINT8 values in contents.uint_contents must be 0..255');
      return { dtype, shape, data: Uint8Array.from(v) };
    }
    case 'bool': return { dtype, shape, data: Uint8Array.from(values as readonly boolean[], (b) => (b ? 1 : 0)) };
    default: throw bad(name, `datatype ${t.datatype} has no contents field`); // unreachable: FP16 returned above
  }
}

/** Decodes one input from its raw little-endian bytes. */
function fromRaw(t: InferInputTensorMessage, raw: Buffer): HostTensor {
  const { dtype, shape, count, bytes } = header(t);
  if (raw.length !== bytes) {
    throw bad(t.name, `raw_input_contents has ${raw.length} bytes but ${t.datatype} ${formatShape(shape)} needs ${bytes} (${count} elements x ${DTYPE_SIZE[dtype]} bytes)`);
  }
  return { dtype, shape, data: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) };
}

/** The decoded inputs of a ModelInferRequest, and whether they came as raw bytes. */
export interface DecodedInputs {
  readonly inputs: Record<string, HostTensor>;
  readonly raw: boolean;
}

/** Decodes every input of a request: all from `contents`, or all from `raw_input_contents`. */
export function decodeInputs(req: Pick<ModelInferRequestMessage, 'inputs' | 'rawInputContents'>): DecodedInputs {
  const raw = req.rawInputContents.length > 0;
  if (raw) {
    const both = req.inputs.find((t) => filledFields(t.contents).length > 0);
    if (both) throw bad(both.name, 'set either raw_input_contents or contents, not both (the request has raw_input_contents, and this input has contents)');
    if (req.rawInputContents.length !== req.inputs.length) {
      throw new InferenceError('INVALID_INPUT', `raw_input_contents has ${req.rawInputContents.length} entries but the request has ${req.inputs.length} inputs; give one entry per input, in the order of inputs`);
    }
  }
  const inputs: Record<string, HostTensor> = {};
  req.inputs.forEach((t, i) => {
    if (!t.name) throw new InferenceError('INVALID_INPUT', 'an input tensor has no name');
    checkClientString('input name', t.name);
    if (inputs[t.name]) throw bad(t.name, 'given twice');
    inputs[t.name] = raw ? fromRaw(t, req.rawInputContents[i] as Buffer) : fromContents(t);
  });
  return { inputs, raw };
}

/** Output tensors and, when raw, their bytes in the same order. */
export interface EncodedOutputs {
  readonly outputs: InferOutputTensorMessage[];
  readonly rawOutputContents: Buffer[];
}

/**
 * Encodes outputs in the given order, as raw_output_contents (`raw`) or typed contents. A FP16 output forces raw
 * for all of them: the specification allows raw for every output or for none.
 */
export function encodeOutputs(outputs: readonly (readonly [string, HostTensor])[], raw: boolean): EncodedOutputs {
  const asRaw = raw || outputs.some(([, t]) => t.dtype === 'float16');
  const out: InferOutputTensorMessage[] = [];
  const bytes: Buffer[] = [];
  for (const [name, t] of outputs) {
    const msg: InferOutputTensorMessage = { name, datatype: OIP_DATATYPE[t.dtype], shape: [...t.shape] };
    if (asRaw) bytes.push(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    else msg.contents = typedContents(t);
    out.push(msg);
  }
  return { outputs: out, rawOutputContents: bytes };
}

/** The typed contents of a (non-FP16) tensor. */
function typedContents(t: HostTensor): OutContents {
  const aligned = t.data.byteOffset % 8 === 0 ? t.data : new Uint8Array(t.data); // typed views need aligned memory
  const { buffer, byteOffset, byteLength } = aligned;
  switch (t.dtype) {
    case 'float32': return { fp32Contents: Array.from(new Float32Array(buffer, byteOffset, byteLength / 4)) };
    case 'int32': return { intContents: Array.from(new Int32Array(buffer, byteOffset, byteLength / 4)) };
    case 'int64': return { int64Contents: Array.from(new BigInt64Array(buffer, byteOffset, byteLength / 8), (v) => v.toString()) };
    case 'uint8': return { uintContents: Array.from(aligned) };
    case 'bool': return { boolContents: Array.from(aligned, (v) => v !== 0) };
    case 'float16': throw new InferenceError('INTERNAL', 'FP16 outputs are encoded as raw bytes');
  }
}
