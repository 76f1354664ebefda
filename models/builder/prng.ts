/**
 * Seeded pseudo-random numbers for weight initialisation. Only 32-bit integer arithmetic and one exact
 * float multiply per draw, so every platform and Node version produces the same bits (no Math.log/cos,
 * whose last-bit results are not guaranteed by the ECMAScript spec).
 */

/** FNV-1a 32-bit hash of a string: turns a tensor's name into a seed so tensors are independent of build order. */
export function hashSeed(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** xoshiro128** generator (Blackman & Vigna); the state is expanded from the seed with splitmix32. */
export class Xoshiro128 {
  #s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32 step: spreads a small seed over the whole state and never yields the all-zero state in practice.
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const s = this.#s;
    const s0 = s[0] as number, s1 = s[1] as number, s2 = s[2] as number, s3 = s[3] as number;
    const r = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    s[0] = s0 ^ n3;
    s[1] = s1 ^ n2;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return r;
  }

  /** Uniform float in [-1, 1) with 24 random bits (the float32 mantissa width). */
  nextSigned(): number {
    return ((this.nextU32() >>> 8) - 0x800000) / 0x800000;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Float32 values uniform in [-limit, limit), drawn from a generator seeded by `key`. */
export function uniformValues(key: string, count: number, limit: number): Float32Array {
  const rng = new Xoshiro128(hashSeed(key));
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.nextSigned() * limit;
  return out;
}
