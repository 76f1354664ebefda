/** Quantizes constant weights: int8 symmetric (per-tensor or per output channel) and uint8 asymmetric. */

/** An int8 symmetric weight: values plus one scale per channel (or one in total). */
export interface Int8Weight {
  readonly values: Int8Array;
  readonly scales: Float32Array;
}

/**
 * Quantizes a row-major [K, N] matrix to int8 with zero point 0. Per channel means one scale per output
 * column n (scale = max|W[:, n]| / 127), the layout MatMulInteger consumes.
 */
export function quantizeMatrixInt8(w: Float32Array, k: number, n: number, perChannel: boolean): Int8Weight {
  const scales = new Float32Array(perChannel ? n : 1);
  if (perChannel) {
    for (let j = 0; j < n; j++) {
      let m = 0;
      for (let i = 0; i < k; i++) m = Math.max(m, Math.abs(w[i * n + j] as number));
      scales[j] = m > 0 ? m / 127 : 1;
    }
  } else {
    let m = 0;
    for (const v of w) m = Math.max(m, Math.abs(v));
    scales[0] = m > 0 ? m / 127 : 1;
  }
  const values = new Int8Array(k * n);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) {
      const s = scales[perChannel ? j : 0] as number;
      values[i * n + j] = Math.max(-127, Math.min(127, Math.round((w[i * n + j] as number) / s)));
    }
  }
  return { values, scales };
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
