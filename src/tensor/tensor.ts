/**
 * Host-side tensors: a dtype, a shape and little-endian row-major bytes. This is the one tensor shape that
 * crosses every room (server -> cache -> batcher -> engine) so no layer converts twice.
 */

/** Supported element types. */
export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'uint8' | 'bool';

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = Object.freeze({
  float32: 4, float16: 2, int64: 8, int32: 4, uint8: 1, bool: 1,
});

/** All supported dtypes. */
export const DTYPES: readonly DType[] = Object.freeze(Object.keys(DTYPE_SIZE) as DType[]);

/** A tensor whose `data` holds exactly product(shape) * DTYPE_SIZE[dtype] little-endian bytes. */
export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** Tensors by name. */
export type NamedTensors = Readonly<Record<string, HostTensor>>;

/** Number of elements of a shape. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Bytes of one row (dims 1..n) of a tensor with this dtype and shape. */
export function rowBytes(dtype: DType, shape: readonly number[]): number {
  return elementCount(shape.slice(1)) * DTYPE_SIZE[dtype];
}

/**
 * Concatenates tensors of identical dtype and non-batch shape along dim 0. A single part is returned as is
 * unless `fresh` asks for a new buffer the caller owns (the batcher hands it to a worker thread).
 */
export function concatRows(parts: readonly HostTensor[], fresh = false): HostTensor {
  const first = parts[0];
  if (!first) throw new Error('concatRows needs at least one tensor');
  if (parts.length === 1 && !fresh) return first;
  let rows = 0;
  let bytes = 0;
  for (const p of parts) { rows += p.shape[0] ?? 0; bytes += p.data.byteLength; }
  const out = new Uint8Array(bytes);
  let off = 0;
  for (const p of parts) { out.set(p.data, off); off += p.data.byteLength; }
  return { dtype: first.dtype, shape: [rows, ...first.shape.slice(1)], data: out };
}

/** Returns rows [start, start+count) of a tensor as a view (no copy). */
export function sliceRows(t: HostTensor, start: number, count: number): HostTensor {
  const rb = rowBytes(t.dtype, t.shape);
  return {
    dtype: t.dtype,
    shape: [count, ...t.shape.slice(1)],
    data: t.data.subarray(start * rb, (start + count) * rb),
  };
}

/** Rows [start, start+count) of a tensor in a buffer of their own (a cached row must not pin a whole batch). */
export function copyRows(t: HostTensor, start: number, count: number): HostTensor {
  const s = sliceRows(t, start, count);
  return { dtype: s.dtype, shape: s.shape, data: new Uint8Array(s.data) };
}

/** The listed rows of a tensor, in that order, as one new tensor. */
export function gatherRows(t: HostTensor, rows: readonly number[]): HostTensor {
  const rb = rowBytes(t.dtype, t.shape);
  const out = new Uint8Array(rb * rows.length);
  rows.forEach((r, i) => out.set(t.data.subarray(r * rb, (r + 1) * rb), i * rb));
  return { dtype: t.dtype, shape: [rows.length, ...t.shape.slice(1)], data: out };
}

/** Formats a shape as `[2,32]`, with -1 for dynamic dims. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Rows (dim 0) of a batch: of its first input (validation made every input agree). */
export function rowsOf(inputs: NamedTensors): number {
  for (const name in inputs) return inputs[name]?.shape[0] ?? 0;
  return 0;
}
