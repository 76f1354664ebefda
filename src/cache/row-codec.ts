/**
 * The binary form of one cached row (output name -> tensor of shape [1, ...]). Compact and self-checking:
 * decode validates every length, dtype and shape so a damaged payload is rejected, never half-read.
 *
 * Layout (little-endian):
 *   u8 codec version (1), u16 tensor count, then per tensor:
 *   u16 name byte length, name (utf-8), u8 dtype code, u8 rank, rank x u32 dims, u32 data byte length, data
 * Nothing may follow the last tensor.
 */
import { DTYPE_SIZE, type DType, type HostTensor } from '../tensor/tensor.js';
import type { CachedRow } from './prediction-cache.js';
import { CorruptValueError } from './value-envelope.js';

const CODEC_VERSION = 1;
const MAX_RANK = 16;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });
// Wire codes of the dtypes: listed here, append-only, so a new dtype elsewhere cannot renumber stored rows.
const DTYPE_CODES: readonly DType[] = ['float32', 'float16', 'int64', 'int32', 'uint8', 'bool'];
const CODE_OF = new Map<DType, number>(DTYPE_CODES.map((d, i) => [d, i]));

/** Serializes a row. Throws if a tensor's byte length does not match its dtype and shape. */
export function encodeRow(row: CachedRow): Uint8Array {
  const entries = Object.entries(row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const names = entries.map(([n]) => textEncoder.encode(n));
  let size = 3;
  entries.forEach(([name, t], i) => {
    const expect = t.shape.reduce((a, d) => a * d, 1) * DTYPE_SIZE[t.dtype];
    if (t.data.byteLength !== expect) throw new Error(`cache row tensor "${name}" has ${t.data.byteLength} bytes, its shape needs ${expect}`);
    if (t.shape.length > MAX_RANK) throw new Error(`cache row tensor "${name}" has rank ${t.shape.length} > ${MAX_RANK}`);
    size += 2 + (names[i] as Uint8Array).byteLength + 2 + 4 * t.shape.length + 4 + t.data.byteLength;
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  view.setUint8(o, CODEC_VERSION); o += 1;
  view.setUint16(o, entries.length, true); o += 2;
  entries.forEach(([, t], i) => {
    const name = names[i] as Uint8Array;
    view.setUint16(o, name.byteLength, true); o += 2;
    out.set(name, o); o += name.byteLength;
    view.setUint8(o, CODE_OF.get(t.dtype) as number); o += 1;
    view.setUint8(o, t.shape.length); o += 1;
    for (const d of t.shape) { view.setUint32(o, d, true); o += 4; }
    view.setUint32(o, t.data.byteLength, true); o += 4;
    out.set(t.data, o); o += t.data.byteLength;
  });
  return out;
}

/**
 * Parses a row. Every tensor gets its own freshly allocated, aligned buffer (callers may build typed-array
 * views over it, and the stored bytes can never be mutated through a returned row). Throws
 * CorruptValueError on any inconsistency.
 */
export function decodeRow(bytes: Uint8Array): CachedRow {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const need = (n: number, what: string): void => {
    if (o + n > bytes.byteLength) throw new CorruptValueError(`row truncated reading ${what} at byte ${o}`);
  };
  need(3, 'header');
  const version = view.getUint8(o); o += 1;
  if (version !== CODEC_VERSION) throw new CorruptValueError(`row codec version ${version} is not ${CODEC_VERSION}`);
  const count = view.getUint16(o, true); o += 2;
  if (count === 0) throw new CorruptValueError('row has no tensors');
  const row: Record<string, HostTensor> = {};
  for (let i = 0; i < count; i++) {
    need(2, 'name length');
    const nameLen = view.getUint16(o, true); o += 2;
    need(nameLen, 'name');
    let name: string;
    try {
      name = textDecoder.decode(bytes.subarray(o, o + nameLen));
    } catch {
      throw new CorruptValueError('row tensor name is not valid utf-8');
    }
    o += nameLen;
    if (Object.hasOwn(row, name)) throw new CorruptValueError(`row has tensor "${name}" twice`);
    need(2, 'dtype and rank');
    const dtype = DTYPE_CODES[view.getUint8(o)]; o += 1;
    if (!dtype) throw new CorruptValueError(`row tensor "${name}" has unknown dtype code`);
    const rank = view.getUint8(o); o += 1;
    if (rank < 1 || rank > MAX_RANK) throw new CorruptValueError(`row tensor "${name}" has rank ${rank}`);
    need(4 * rank + 4, 'shape');
    const shape: number[] = [];
    for (let r = 0; r < rank; r++) { shape.push(view.getUint32(o, true)); o += 4; }
    if (shape[0] !== 1) throw new CorruptValueError(`row tensor "${name}" has ${shape[0]} rows, expected 1`);
    const dataLen = view.getUint32(o, true); o += 4;
    const expect = shape.reduce((a, d) => a * d, 1) * DTYPE_SIZE[dtype];
    if (dataLen !== expect) throw new CorruptValueError(`row tensor "${name}" has ${dataLen} bytes, its shape needs ${expect}`);
    need(dataLen, 'data');
    row[name] = { dtype, shape, data: bytes.slice(o, o + dataLen) };
    o += dataLen;
  }
  if (o !== bytes.byteLength) throw new CorruptValueError(`row has ${bytes.byteLength - o} trailing bytes`);
  return row;
}
