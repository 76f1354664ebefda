/**
 * Generates realistic inputs for a model from its config's `sample` specs: warm-up uses them, and so can
 * calibration and benchmarks. Seeded, so the same call gives the same bytes.
 */
import type { HostTensor } from '../tensor/tensor.js';
import type { ModelConfig, SampleSpec, TensorSpec } from './model-config.js';
import type { InputRange } from './input-ranges.js';

/** Size used for a dynamic (-1) non-batch dim when the config's `warmup.dims` does not name one. */
export const DEFAULT_DYNAMIC_DIM = 16;

/** The concrete non-batch dims generated inputs use: the config's, with -1 from `warmup.dims` or the default. */
export function concreteDims(cfg: ModelConfig, spec: TensorSpec): number[] {
  const chosen = cfg.warmup.dims?.[spec.name];
  return spec.shape.slice(1).map((d, i) => (d > 0 ? d : chosen?.[i] ?? DEFAULT_DYNAMIC_DIM));
}

/** A small seeded PRNG (mulberry32): fast and reproducible, not for security. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

function fill(spec: TensorSpec, dims: readonly number[], rows: number, rand: () => number, range: InputRange | undefined): number[] {
  const width = dims.reduce((a, b) => a * b, 1);
  // Without a declared sample: ids within their valid range (e.g. the embedding table's rows), else N(0, 1).
  const sample: SampleSpec = spec.sample ?? (range ? { kind: 'uniform', min: range.min, max: range.max }
    : spec.dtype === 'bool' ? { kind: 'uniform', min: 0, max: 1 } : { kind: 'normal', mean: 0, std: 1 });
  const isInt = spec.dtype !== 'float32' && spec.dtype !== 'float16';
  const out: number[] = new Array<number>(rows * width);
  for (let r = 0; r < rows; r++) {
    if (sample.kind === 'mask') {
      const len = sample.minLength + Math.floor(rand() * (width - sample.minLength + 1));
      for (let i = 0; i < width; i++) out[r * width + i] = i < len ? 1 : 0;
      continue;
    }
    for (let i = 0; i < width; i++) {
      let v = sample.kind === 'uniform' ? sample.min + rand() * (sample.max - sample.min) : sample.mean + sample.std * gaussian(rand);
      if (isInt) v = sample.kind === 'uniform' ? Math.min(sample.max, Math.floor(v + rand())) : Math.round(v);
      out[r * width + i] = v;
    }
  }
  return out;
}

function toBytes(spec: TensorSpec, values: number[]): Uint8Array {
  switch (spec.dtype) {
    case 'float32': return new Uint8Array(Float32Array.from(values).buffer);
    case 'int64': return new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer);
    case 'int32': return new Uint8Array(Int32Array.from(values).buffer);
    case 'uint8': return Uint8Array.from(values, (v) => Math.max(0, Math.min(255, v)));
    case 'bool': return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'float16': return new Uint8Array(Uint16Array.from(values, (v) => float16Bits(v)).buffer);
  }
}

/** IEEE half-precision bits of a number (round to nearest). */
export function float16Bits(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | ((mant + 0x1000) >>> 13);
}

/**
 * Generates `rows` rows of every input of a model, seeded. `ranges` (the repository's valid integer ranges)
 * bound inputs that declare no sample; dynamic dims take `warmup.dims` or DEFAULT_DYNAMIC_DIM.
 */
export function sampleInputs(cfg: ModelConfig, rows: number, seed = 1, ranges: Readonly<Record<string, InputRange>> = {}): Record<string, HostTensor> {
  const rand = seededRandom(seed);
  const out: Record<string, HostTensor> = {};
  for (const spec of cfg.inputs) {
    const dims = concreteDims(cfg, spec);
    out[spec.name] = { dtype: spec.dtype, shape: [rows, ...dims], data: toBytes(spec, fill(spec, dims, rows, rand, ranges[spec.name])) };
  }
  return out;
}
