/**
 * Checks a request's tensors against the model's declared signature before anything is queued, with
 * messages that name the input, what was expected and what arrived. Values are checked too: a NaN or Inf
 * (unless the input opts in) and an integer outside its valid range are refused here, naming the row and
 * position, because inside a batch they would poison or fail their batch-mates' rows.
 */
import { InferenceError } from '../errors/index.js';
import { formatShape, type HostTensor, type NamedTensors } from '../tensor/tensor.js';
import type { ModelConfig, TensorSpec } from '../repository/model-config.js';
import type { InputRange } from '../repository/input-ranges.js';

function sig(specs: readonly TensorSpec[]): string {
  return specs.map((s) => `${s.name} ${s.dtype} ${formatShape(s.shape)}`).join(', ');
}

/** Validates inputs and returns the number of rows (dim 0, equal across inputs). */
export function validateInputs(cfg: ModelConfig, inputs: NamedTensors, ranges: Readonly<Record<string, InputRange>> = {}): number {
  // Built only for an error message: the per-call path of a tiny model is a few hundred microseconds.
  const expected = (): string => `model "${cfg.name}" expects inputs: ${sig(cfg.inputs)}`;
  for (const n in inputs) {
    if (!cfg.inputs.some((s) => s.name === n)) throw new InferenceError('INVALID_INPUT', `unexpected input "${n}"; ${expected()}`);
  }
  let rows: number | undefined;
  for (const spec of cfg.inputs) {
    const t = inputs[spec.name];
    if (!t) throw new InferenceError('INVALID_INPUT', `missing input "${spec.name}"; ${expected()}`);
    if (t.dtype !== spec.dtype) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" has dtype ${t.dtype}, expected ${spec.dtype}; ${expected()}`);
    const badShape = t.shape.length !== spec.shape.length || spec.shape.some((d, i) => i > 0 && d !== -1 && d !== t.shape[i]);
    if (badShape) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" has shape ${formatShape(t.shape)}, expected ${formatShape(spec.shape)} (-1 = any size); ${expected()}`);
    const r = t.shape[0] as number;
    if (r < 1) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" is empty (shape ${formatShape(t.shape)}); send at least one row`);
    if (t.shape.some((d, i) => i > 0 && d < 1)) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" has shape ${formatShape(t.shape)}: every non-batch dim needs at least one element`);
    if (rows !== undefined && r !== rows) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" has ${r} rows but other inputs have ${rows}; every input needs the same dim 0`);
    rows = r;
  }
  if (rows === undefined) throw new InferenceError('INVALID_INPUT', `no inputs; ${expected()}`);
  if (rows > cfg.maxBatchSize) throw new InferenceError('INVALID_REQUEST', `request has ${rows} rows; model "${cfg.name}" accepts at most ${cfg.maxBatchSize} rows per request (maxBatchSize); split it`);
  for (const spec of cfg.inputs) checkValues(spec, inputs[spec.name] as HostTensor, rows, ranges[spec.name]);
  return rows;
}

/** A typed view of a tensor's bytes; copies only when the bytes are not aligned for the element type. */
function view<T>(t: HostTensor, size: number, make: (b: ArrayBufferLike, off: number, len: number) => T): T {
  let d = t.data;
  if (d.byteOffset % size !== 0) d = new Uint8Array(d);
  return make(d.buffer, d.byteOffset, d.byteLength / size);
}

function where(spec: TensorSpec, index: number, rows: number, count: number): string {
  const perRow = count / rows;
  return `input "${spec.name}" row ${Math.floor(index / perRow)} position ${index % perRow}`;
}

function checkValues(spec: TensorSpec, t: HostTensor, rows: number, range: InputRange | undefined): void {
  if (spec.dtype === 'float32' && !spec.allowNonFinite) {
    const f = view(t, 4, (b, o, n) => new Float32Array(b, o, n));
    for (let i = 0; i < f.length; i++) {
      const v = f[i] as number;
      // v - v is 0 for every finite v and NaN for NaN and +-Inf: one subtraction per element.
      if (v - v !== 0) {
        throw new InferenceError('INVALID_INPUT', `${where(spec, i, rows, f.length)} is ${v}; non-finite values are refused (one would turn every row of its batch into NaN). A model that reads NaN as "missing" sets "allowNonFinite": true on this input in config.json`);
      }
    }
    return;
  }
  if (spec.dtype === 'float16' && !spec.allowNonFinite) {
    const h = view(t, 2, (b, o, n) => new Uint16Array(b, o, n));
    for (let i = 0; i < h.length; i++) {
      // Exponent all ones: Inf or NaN.
      if (((h[i] as number) & 0x7c00) === 0x7c00) throw new InferenceError('INVALID_INPUT', `${where(spec, i, rows, h.length)} is not finite; non-finite values are refused. A model that reads NaN as "missing" sets "allowNonFinite": true on this input in config.json`);
    }
    return;
  }
  if (!range) return;
  const refuse = (i: number, count: number, value: string): never => {
    throw new InferenceError('INVALID_INPUT', `${where(spec, i, rows, count)} has value ${value}, outside the valid range [${range.min}, ${range.max}] (from ${range.source})`);
  };
  if (spec.dtype === 'int64') {
    if (range.min >= 0 && range.max <= 0x7fffffff) {
      // Little-endian int64 as two int32 words: in range iff the high word is 0 and the low word is in range.
      const w = view(t, 8, (b, o, n) => new Int32Array(b, o, n * 2));
      for (let i = 0; i < w.length; i += 2) {
        const lo = w[i] as number;
        if (w[i + 1] !== 0 || lo < range.min || lo > range.max) refuse(i / 2, w.length / 2, String(new BigInt64Array(w.buffer, w.byteOffset + i * 4, 1)[0]));
      }
      return;
    }
    const b = view(t, 8, (buf, o, n) => new BigInt64Array(buf, o, n));
    const lo = BigInt(range.min);
    const hi = BigInt(range.max);
    for (let i = 0; i < b.length; i++) if ((b[i] as bigint) < lo || (b[i] as bigint) > hi) refuse(i, b.length, String(b[i]));
    return;
  }
  if (spec.dtype === 'int32' || spec.dtype === 'uint8') {
    const a = spec.dtype === 'int32' ? view(t, 4, (b, o, n) => new Int32Array(b, o, n)) : t.data;
    for (let i = 0; i < a.length; i++) {
      const v = a[i] as number;
      if (v < range.min || v > range.max) refuse(i, a.length, String(v));
    }
  }
}

/** Validates requested output names; returns them sorted and de-duplicated (all outputs when empty). */
export function resolveOutputs(cfg: ModelConfig, requested: readonly string[]): string[] {
  const all = cfg.outputs.map((o) => o.name);
  for (const r of requested) {
    if (!all.includes(r)) throw new InferenceError('INVALID_REQUEST', `unknown output "${r}"; model "${cfg.name}" has outputs: ${all.join(', ')}`);
  }
  return requested.length === 0 ? [...all].sort() : [...new Set(requested)].sort();
}
