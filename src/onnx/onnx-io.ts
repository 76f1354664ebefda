/**
 * Reads and writes ONNX model files with protobufjs over the ONNX IR schema in `onnx.proto`.
 * Shared by the bundled-model builder, the quantization pipeline and the model repository.
 * int64 fields decode as JS numbers (`longs: Number`): ONNX dims and attributes fit in 2^53.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protobuf from 'protobufjs';

/** ONNX TensorProto.DataType numbers (ONNX IR spec). */
export const OnnxDataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7,
  STRING: 8, BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16,
} as const;

/** ONNX AttributeProto.AttributeType numbers. */
export const OnnxAttrType = {
  UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
} as const;

export interface TensorProto {
  name?: string;
  dims?: number[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  docString?: string;
  externalData?: { key?: string; value?: string }[];
  dataLocation?: number;
}

export interface AttributeProto {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeProto[];
  docString?: string;
}

export interface DimensionProto { dimValue?: number; dimParam?: string }

export interface ValueInfoProto {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: DimensionProto[] } } };
  docString?: string;
}

export interface GraphProto {
  name?: string;
  node?: NodeProto[];
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  docString?: string;
}

export interface ModelProto {
  irVersion?: number;
  opsetImport?: { domain?: string; version?: number }[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  metadataProps?: { key?: string; value?: string }[];
}

let modelType: protobuf.Type | undefined;

function schemaPath(): string {
  // The .proto sits next to the source; the compiled file in dist/ resolves back to the source tree.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'onnx.proto'), path.resolve(here, '../../../src/onnx/onnx.proto')];
  for (const c of candidates) {
    try { readFileSync(c); return c; } catch { /* try the next */ }
  }
  throw new Error(`onnx.proto not found near ${here}`);
}

function getModelType(): protobuf.Type {
  if (!modelType) {
    const root = protobuf.loadSync(schemaPath());
    modelType = root.lookupType('onnx.ModelProto');
  }
  return modelType;
}

/** TensorProto fields that hold a tensor's values (ONNX IR): what a structure-only read leaves out. */
const TENSOR_VALUE_FIELDS = ['floatData', 'int32Data', 'stringData', 'int64Data', 'rawData', 'doubleData', 'uint64Data'];

let structureType: protobuf.Type | undefined;

/** ModelProto over a schema whose TensorProto has no value fields: the decoder skips them unread. */
function getStructureType(): protobuf.Type {
  if (!structureType) {
    const root = protobuf.loadSync(schemaPath());
    const tensor = root.lookupType('onnx.TensorProto');
    for (const name of TENSOR_VALUE_FIELDS) {
      const f = tensor.fields[name];
      if (!f) throw new Error(`onnx.proto: TensorProto has no field ${name}`);
      tensor.remove(f);
    }
    structureType = root.lookupType('onnx.ModelProto');
  }
  return structureType;
}

/** How decoded messages become plain objects: int64 as number, bytes as Uint8Array, only the fields present. */
const PLAIN: protobuf.IConversionOptions = { longs: Number, enums: Number, bytes: Uint8Array, defaults: false, arrays: true, oneofs: false };

/** Decodes ONNX model bytes into a plain object (int64 as number, bytes as Uint8Array). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const t = getModelType();
  return t.toObject(t.decode(bytes), PLAIN) as ModelProto;
}

/** Encodes a plain ModelProto object into ONNX model bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const t = getModelType();
  const err = t.verify(model);
  if (err) throw new Error(`invalid ONNX model object: ${err}`);
  return t.encode(t.fromObject(model)).finish();
}

/**
 * Reads an ONNX file from disk. With `shown` (how messages name the file), a read or decoding failure says
 * which file it was: a decoder's "invalid wire type 7 at offset 1" alone does not.
 */
export function readModel(file: string, shown?: string): ModelProto {
  try {
    return decodeModel(readFileSync(file));
  } catch (e) {
    throw namingFile(e, shown);
  }
}

/**
 * Decodes an ONNX model's structure: the graph, its inputs, outputs and nodes, and every tensor's name, type
 * and dims (initializers and tensor attributes such as a Constant's value), but none of the tensors' values:
 * the decoder skips an unknown field by its length, without decoding or copying it. What the repository needs
 * to configure and check a model at load time (signature, embedding-table sizes).
 */
export function decodeModelStructure(bytes: Uint8Array): ModelProto {
  const t = getStructureType();
  return t.toObject(t.decode(bytes), PLAIN) as ModelProto;
}

/** Names the file in a read or decoding failure (a decoder's "invalid wire type 7 at offset 1" alone does not). */
function namingFile(e: unknown, shown: string | undefined): Error {
  return shown === undefined ? (e as Error) : new Error(`${shown}: cannot read the model: ${(e as Error).message}`);
}

/** readModel's structure-only form (decodeModelStructure), for the scan of the repository at start-up. */
export function readModelStructure(file: string, shown?: string): ModelProto {
  try {
    return decodeModelStructure(readFileSync(file));
  } catch (e) {
    throw namingFile(e, shown);
  }
}

/**
 * readModelStructure without blocking the event loop on the read, for loads while other models serve.
 * Measured on the build machine for the bundled 21 MB lead-intent model: `readFileSync` of it took 60-80 ms in
 * a fresh process (4-6 ms once the process reused freed memory), and decoding the tensor values took more on
 * top. In `npm run bench -- reload --full` the event loop's longest delay during a reload of it was at worst
 * 88 and 78 ms (two runs) with that read, 43 and 36 ms with this one (docs/benchmarks/2026-12-02-reload.md).
 * Here the file is read on libuv's thread pool and only the structure is decoded on the event loop.
 */
export async function readModelStructureAsync(file: string, shown?: string): Promise<ModelProto> {
  try {
    return decodeModelStructure(await readFile(file));
  } catch (e) {
    throw namingFile(e, shown);
  }
}

/** Writes an ONNX file atomically (temp file + rename), so readers never see a half-written model. */
export function writeModel(file: string, model: ModelProto): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, encodeModel(model));
  renameSync(tmp, file);
}

/** Builds a float32 initializer from values. */
export function floatTensor(name: string, dims: number[], values: Float32Array): TensorProto {
  return { name, dims, dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}

/** Builds an int64 initializer from values. */
export function int64Tensor(name: string, dims: number[], values: readonly number[]): TensorProto {
  const buf = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dims, dataType: OnnxDataType.INT64, rawData: new Uint8Array(buf.buffer) };
}

/** Reads a float32 initializer's values whether stored as raw_data or float_data. */
export function tensorFloats(t: TensorProto): Float32Array {
  if (t.dataType !== OnnxDataType.FLOAT) throw new Error(`tensor ${t.name ?? '?'} is not float32 (data_type ${t.dataType})`);
  if (t.rawData && t.rawData.byteLength > 0) {
    const copy = new Uint8Array(t.rawData); // aligned copy
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Reads an int64 or int32 tensor's values (raw_data or the typed field) as numbers; undefined for other types. */
export function tensorInts(t: TensorProto): number[] | undefined {
  const wide = t.dataType === OnnxDataType.INT64;
  if (!wide && t.dataType !== OnnxDataType.INT32) return undefined;
  if (t.rawData && t.rawData.byteLength > 0) {
    const copy = new Uint8Array(t.rawData); // aligned copy
    return wide ? Array.from(new BigInt64Array(copy.buffer), Number) : Array.from(new Int32Array(copy.buffer));
  }
  return (wide ? t.int64Data ?? [] : t.int32Data ?? []).map(Number);
}

/** Makes a tensor value-info with symbolic (string) or fixed (number) dims. */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

/** Makes a node attribute of the right ONNX type from a JS value. */
export function attr(name: string, value: number | string | number[] | TensorProto, kind: 'int' | 'float' | 'auto' = 'auto'): AttributeProto {
  if (typeof value === 'string') return { name, type: OnnxAttrType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) {
    return kind === 'float' ? { name, type: OnnxAttrType.FLOATS, floats: value } : { name, type: OnnxAttrType.INTS, ints: value };
  }
  if (typeof value === 'number') {
    const isInt = kind === 'int' || (kind === 'auto' && Number.isInteger(value));
    return isInt ? { name, type: OnnxAttrType.INT, i: value } : { name, type: OnnxAttrType.FLOAT, f: value };
  }
  return { name, type: OnnxAttrType.TENSOR, t: value };
}
