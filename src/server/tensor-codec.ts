/**
 * Converts between the wire Tensor message and HostTensor. Raw little-endian bytes pass through without a
 * per-element copy; typed repeated fields are the convenient path. Every malformed tensor is an
 * INVALID_INPUT naming the tensor.
 */
import { InferenceError } from '../errors/index.js';
import { DTYPE_SIZE, elementCount, formatShape, type DType, type HostTensor } from '../tensor/tensor.js';
import { DTYPE_TO_WIRE, WIRE_TO_DTYPE, type TensorMessage } from '../proto/enums.js';
import { shapeProblem } from './request-limits.js';


const FROM_ENUM = WIRE_TO_DTYPE;
const TO_ENUM = DTYPE_TO_WIRE;

/** The typed field each dtype is carried in (float16 travels only as raw). */
const TYPED_FIELD: Readonly<Record<DType, string | undefined>> = {
  float32: 'float_data', int64: 'int64_data', int32: 'int32_data', uint8: 'int32_data', bool: 'bool_data', float16: undefined,
};

/** Largest tensor a request may carry (bytes): protects memory from absurd shapes. */
const MAX_TENSOR_BYTES = 256 * 1024 * 1024;

function bad(name: string, msg: string): InferenceError {
  return new InferenceError('INVALID_INPUT', `input "${name}": ${msg}`);
}

/** Decodes one wire tensor. */
export function decodeTensor(t: TensorMessage): HostTensor {
  const name = t.name;
  if (!name) throw new InferenceError('INVALID_INPUT', 'an input tensor has no name');
  const dtype = FROM_ENUM[t.dtype];
  if (!dtype) throw bad(name, `dtype ${t.dtype || 'DATA_TYPE_UNSPECIFIED'} is not supported; use one of ${Object.keys(FROM_ENUM).join(', ')}`);
  const shape = t.shape.map(Number);
  const problem = shapeProblem(shape);
  if (problem) throw bad(name, problem);
  const count = elementCount(shape);
  const bytes = count * DTYPE_SIZE[dtype];
  if (bytes > MAX_TENSOR_BYTES) throw bad(name, `shape ${formatShape(shape)} needs ${bytes} bytes, over the ${MAX_TENSOR_BYTES}-byte limit`);
  const typedFields = [t.floatData.length > 0, t.int64Data.length > 0, t.int32Data.length > 0, t.boolData.length > 0].filter(Boolean).length;
  if (t.raw.length > 0) {
    if (typedFields > 0) throw bad(name, 'set either raw or one typed field, not both');
    if (t.raw.length !== bytes) throw bad(name, `raw has ${t.raw.length} bytes but ${dtype} ${formatShape(shape)} needs ${bytes} (${count} elements x ${DTYPE_SIZE[dtype]} bytes)`);
    // A view when the bytes are aligned for the element type; else one copy here, so that validation and the
    // engine's typed views (which would each copy unaligned bytes) read them in place.
    const aligned = t.raw.byteOffset % DTYPE_SIZE[dtype] === 0;
    return { dtype, shape, data: aligned ? new Uint8Array(t.raw.buffer, t.raw.byteOffset, t.raw.byteLength) : new Uint8Array(t.raw) };
  }
  if (typedFields > 1) throw bad(name, 'set exactly one typed field');
  // A typed field that does not belong to the dtype is named as such (not as "0 values" of the right one).
  const set = t.floatData.length > 0 ? 'float_data' : t.int64Data.length > 0 ? 'int64_data' : t.int32Data.length > 0 ? 'int32_data' : t.boolData.length > 0 ? 'bool_data' : undefined;
  const wants = TYPED_FIELD[dtype];
  if (set && set !== wants) throw bad(name, wants ? `dtype ${t.dtype} takes ${wants}, but ${set} was set` : `float16 tensors travel only as raw little-endian bytes, but ${set} was set`);
  const expectCount = (n: number, field: string): void => {
    if (n !== count) throw bad(name, `${field} has ${n} values but ${dtype} ${formatShape(shape)} needs ${count}`);
  };
  switch (dtype) {
    case 'float32':
      expectCount(t.floatData.length, 'float_data');
      return { dtype, shape, data: new Uint8Array(Float32Array.from(t.floatData).buffer) };
    case 'int64': {
      expectCount(t.int64Data.length, 'int64_data');
      const a = new BigInt64Array(count);
      for (let i = 0; i < count; i++) a[i] = BigInt(t.int64Data[i] as string);
      return { dtype, shape, data: new Uint8Array(a.buffer) };
    }
    case 'int32':
      expectCount(t.int32Data.length, 'int32_data');
      return { dtype, shape, data: new Uint8Array(Int32Array.from(t.int32Data).buffer) };
    case 'uint8':
      expectCount(t.int32Data.length, 'int32_data');
      if (t.int32Data.some((v) => v < 0 || v > 255)) throw bad(name, 'uint8 values in int32_data must be 0..255');
      return { dtype, shape, data: Uint8Array.from(t.int32Data) };
    case 'bool':
      expectCount(t.boolData.length, 'bool_data');
      return { dtype, shape, data: Uint8Array.from(t.boolData, (b) => (b ? 1 : 0)) };
    case 'float16':
      if (count === 0) return { dtype, shape, data: new Uint8Array(0) };
      throw bad(name, 'float16 tensors travel only as raw little-endian bytes');
  }
}

/** An output tensor message. */
export interface OutTensorMessage {
  name: string;
  dtype: string;
  shape: number[];
  raw?: Buffer;
  floatData?: number[];
  int64Data?: string[];
  int32Data?: number[];
  boolData?: boolean[];
}

/** Encodes one output tensor, as raw bytes (default) or typed fields. */
export function encodeTensor(name: string, t: HostTensor, typed: boolean): OutTensorMessage {
  const msg: OutTensorMessage = { name, dtype: TO_ENUM[t.dtype], shape: [...t.shape] };
  if (!typed || t.dtype === 'float16') {
    msg.raw = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    return msg;
  }
  const aligned = new Uint8Array(t.data); // typed views need aligned memory
  switch (t.dtype) {
    case 'float32': msg.floatData = Array.from(new Float32Array(aligned.buffer)); break;
    case 'int64': msg.int64Data = Array.from(new BigInt64Array(aligned.buffer), (v) => v.toString()); break;
    case 'int32': msg.int32Data = Array.from(new Int32Array(aligned.buffer)); break;
    case 'uint8': msg.int32Data = Array.from(aligned); break;
    case 'bool': msg.boolData = Array.from(aligned, (v) => v !== 0); break;
  }
  return msg;
}

/** The wire enum name of a dtype. */
export function dtypeEnum(d: DType): string {
  return TO_ENUM[d];
}
