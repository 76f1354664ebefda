/** Quantizes constant weights: int8 symmetric (per-tensor or per output channel) and uint8 asymmetric. */
import { weightLimit, type WeightRange } from '../src/engine/int8-host.js';

/** An int8 symmetric weight: values plus one scale per channel (or one in total). */
export interface Int8Weight {
  readonly values: Int8Array;
  readonly scales: Float32Array;
}

/**
 * Quantizes a row-major tensor of shape `dims` to int8 symmetric (zero point 0): per channel along `axis`
 * (scale = max|W| over that channel / L) or one scale in total, where L is 127 for the full range and 63 for
 * the reduced one (src/engine/int8-host.ts: where u8 x s8 products saturate).
 */
export function quantizeInt8(w: Float32Array, dims: readonly number[], axis: number, perChannel: boolean, range: WeightRange = 'full'): Int8Weight {
  const limit = weightLimit(range);
  const channels = perChannel ? (dims[axis] as number) : 1;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const chanOf = (i: number): number => (perChannel ? Math.floor(i / inner) % channels : 0);
  const maxAbs = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) maxAbs[chanOf(i)] = Math.max(maxAbs[chanOf(i)] as number, Math.abs(w[i] as number));
  const scales = maxAbs.map((m) => (m > 0 ? m / limit : 1));
  const values = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) values[i] = Math.max(-limit, Math.min(limit, Math.round((w[i] as number) / (scales[chanOf(i)] as number))));
  return { values, scales };
}

/** A row-major [K, N] matrix to int8, per output column n when per channel: the layout MatMulInteger consumes. */
export function quantizeMatrixInt8(w: Float32Array, k: number, n: number, perChannel: boolean, range: WeightRange = 'full'): Int8Weight {
  return quantizeInt8(w, [k, n], 1, perChannel, range);
}

/** A uint8 asymmetric tensor with one scale and zero point. */
export interface Uint8Weight {
  readonly values: Uint8Array;
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Quantizes any tensor to uint8 with one scale and zero point covering [min(0, lo), max(0, hi)]. */
export function quantizeUint8(w: Float32Array): Uint8Weight {
  let lo = 0;
  let hi = 0;
  for (const v of w) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  const values = new Uint8Array(w.length);
  for (let i = 0; i < w.length; i++) values[i] = Math.max(0, Math.min(255, Math.round((w[i] as number) / scale) + zeroPoint));
  return { values, scale, zeroPoint };
}

/** Transposes a row-major [rows, cols] matrix. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = w[i * cols + j] as number;
  return out;
}
