/**
 * Client-side tensor encoding: typed arrays go out as `raw` little-endian bytes without a copy (the fast
 * path); answers come back as typed arrays copied into fresh, aligned buffers (from `raw` or from the typed
 * repeated fields when the server was asked for `typed_outputs`).
 */
import os from 'node:os';
import { status } from '@grpc/grpc-js';
import { localError } from './client-error.js';
import { DTYPE_SIZE } from '../tensor/tensor.js';
import { DTYPE_TO_WIRE, WIRE_TO_DTYPE, type TensorMessage } from '../proto/enums.js';

/** Element types of the protocol. */
export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

/** The typed arrays the SDK sends and returns (float16 travels as raw 16-bit words in a Uint16Array). */
export type TypedArray = Float32Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;

/** An input with an explicit shape; `dtype` defaults from the array type (number[] defaults to float32). */
export interface TensorInput {
  readonly data: TypedArray | readonly number[] | readonly bigint[];
  readonly shape: readonly number[];
  readonly dtype?: DType;
}

/** A Predict input: a typed array (one row: shape [1, length]) or a tensor with its shape. */
export type InputValue = TypedArray | TensorInput;

/** A decoded output tensor. */
export interface OutputTensor {
  readonly dtype: DType;
  readonly shape: number[];
  readonly data: TypedArray;
}

/** The Tensor message as sent (proto-loader accepts numbers for int64 fields). */
export interface RequestTensor {
  name: string;
  dtype: string;
  shape: number[];
  raw: Buffer;
}

/** The Tensor message as received (int64 fields as decimal strings). */
export type ResponseTensor = TensorMessage;

const ENUM_OF = DTYPE_TO_WIRE;
const DTYPE_OF_ENUM = WIRE_TO_DTYPE;
const SIZE = DTYPE_SIZE;

/** The typed array class that holds each dtype. */
const ARRAY_OF: Readonly<Record<DType, new (n: number) => TypedArray>> = {
  float32: Float32Array, float16: Uint16Array, int64: BigInt64Array, int32: Int32Array, uint8: Uint8Array, bool: Uint8Array,
};

// Typed arrays use the host byte order and `raw` is little-endian by contract: zero-copy needs an LE host.
const LITTLE_ENDIAN = os.endianness() === 'LE';

function invalid(name: string, msg: string): Error {
  return localError(status.INVALID_ARGUMENT, `input "${name}": ${msg}`);
}

function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Uint16Array) return 'float16';
  return 'uint8';
}

function isTypedArray(v: unknown): v is TypedArray {
  return v instanceof Float32Array || v instanceof BigInt64Array || v instanceof Int32Array || v instanceof Uint8Array || v instanceof Uint16Array;
}

function fromList(name: string, list: readonly (number | bigint)[], dtype: DType): TypedArray {
  if (dtype === 'int64') {
    return BigInt64Array.from(list, (v) => {
      if (typeof v === 'bigint') return v;
      if (!Number.isSafeInteger(v)) throw invalid(name, `int64 value ${v} is not a safe integer; pass a BigInt64Array`);
      return BigInt(v);
    });
  }
  if (list.some((v) => typeof v === 'bigint')) throw invalid(name, `bigint values need dtype int64, not ${dtype}`);
  const nums = list as readonly number[];
  switch (dtype) {
    case 'float32': return Float32Array.from(nums);
    case 'int32': return Int32Array.from(nums);
    case 'uint8': case 'bool': return Uint8Array.from(nums);
    case 'float16': throw invalid(name, 'float16 needs a Uint16Array of raw half-precision words');
  }
}

/** Encodes one named input as a raw little-endian Tensor message (the array's bytes are not copied). */
export function encodeInput(name: string, value: InputValue): RequestTensor {
  const spec: TensorInput = isTypedArray(value) ? { data: value, shape: [1, value.length] } : value;
  if (!spec || typeof spec !== 'object' || !spec.data || !Array.isArray(spec.shape)) {
    throw invalid(name, 'expected a typed array or { data, shape, dtype? }');
  }
  let data: TypedArray;
  let dtype: DType;
  if (isTypedArray(spec.data)) {
    data = spec.data;
    const natural = dtypeOfArray(data);
    dtype = spec.dtype ?? natural;
    if (!(dtype in SIZE)) throw invalid(name, `unknown dtype ${String(dtype)}`);
    const fits = dtype === natural || (dtype === 'bool' && natural === 'uint8');
    if (!fits) throw invalid(name, `dtype ${dtype} needs a ${ARRAY_OF[dtype].name}, got a ${data.constructor.name}`);
  } else if (Array.isArray(spec.data)) {
    dtype = spec.dtype ?? 'float32';
    if (!(dtype in SIZE)) throw invalid(name, `unknown dtype ${String(dtype)}`);
    data = fromList(name, spec.data, dtype);
  } else {
    throw invalid(name, 'data must be a typed array or an array of numbers');
  }
  const shape = [...spec.shape];
  if (shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw invalid(name, `shape [${shape.join(', ')}] must be non-negative integers, rows along dim 0`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw invalid(name, `shape [${shape.join(', ')}] needs ${count} values, data has ${data.length}`);
  if (!LITTLE_ENDIAN && SIZE[dtype] > 1) throw invalid(name, 'this SDK sends raw little-endian bytes and needs a little-endian host');
  return { name, dtype: ENUM_OF[dtype], shape, raw: Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
}

/** Decodes one output Tensor message into an aligned typed array. */
export function decodeOutput(t: ResponseTensor): OutputTensor {
  const dtype = DTYPE_OF_ENUM[t.dtype];
  const bad = (msg: string): Error => localError(status.INTERNAL, `output "${t.name}": ${msg}`);
  if (!dtype) throw bad(`unsupported dtype ${t.dtype}`);
  const shape = t.shape.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (t.raw.length > 0 || count === 0) {
    if (t.raw.length !== count * SIZE[dtype]) throw bad(`raw has ${t.raw.length} bytes, ${dtype} [${shape.join(', ')}] needs ${count * SIZE[dtype]}`);
    const out = new ARRAY_OF[dtype](count);
    // Copy: the Buffer may sit at an unaligned offset of a shared pool, and a view would pin the whole message.
    new Uint8Array(out.buffer).set(t.raw);
    return { dtype, shape, data: out };
  }
  let data: TypedArray;
  switch (dtype) {
    case 'float32': data = Float32Array.from(t.floatData); break;
    case 'int64': data = BigInt64Array.from(t.int64Data, (v) => BigInt(v)); break;
    case 'int32': data = Int32Array.from(t.int32Data); break;
    case 'uint8': data = Uint8Array.from(t.int32Data); break;
    case 'bool': data = Uint8Array.from(t.boolData, (b) => (b ? 1 : 0)); break;
    case 'float16': throw bad('float16 travels only as raw bytes');
  }
  if (data.length !== count) throw bad(`has ${data.length} values, [${shape.join(', ')}] needs ${count}`);
  return { dtype, shape, data };
}

/** The short dtype name of a wire enum name ('DATA_TYPE_FLOAT32' -> 'float32'); unknown names pass through. */
export function dtypeName(wire: string): DType | string {
  return DTYPE_OF_ENUM[wire] ?? wire;
}
