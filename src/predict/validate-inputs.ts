/**
 * Checks a request's tensors against the model's declared signature before anything is queued, with
 * messages that name the input, what was expected and what arrived.
 */
import { InferenceError } from '../errors/index.js';
import { formatShape, type NamedTensors } from '../tensor/tensor.js';
import type { ModelConfig, TensorSpec } from '../repository/model-config.js';

function sig(specs: readonly TensorSpec[]): string {
  return specs.map((s) => `${s.name} ${s.dtype} ${formatShape(s.shape)}`).join(', ');
}

/** Validates inputs and returns the number of rows (dim 0, equal across inputs). */
export function validateInputs(cfg: ModelConfig, inputs: NamedTensors): number {
  const expected = `model "${cfg.name}" expects inputs: ${sig(cfg.inputs)}`;
  const names = Object.keys(inputs);
  for (const n of names) {
    if (!cfg.inputs.some((s) => s.name === n)) throw new InferenceError('INVALID_INPUT', `unexpected input "${n}"; ${expected}`);
  }
  let rows: number | undefined;
  for (const spec of cfg.inputs) {
    const t = inputs[spec.name];
    if (!t) throw new InferenceError('INVALID_INPUT', `missing input "${spec.name}"; ${expected}`);
    if (t.dtype !== spec.dtype) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" has dtype ${t.dtype}, expected ${spec.dtype}; ${expected}`);
    const badShape = t.shape.length !== spec.shape.length || spec.shape.some((d, i) => i > 0 && d !== t.shape[i]);
    if (badShape) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" has shape ${formatShape(t.shape)}, expected ${formatShape(spec.shape)} (-1 = any number of rows); ${expected}`);
    const r = t.shape[0] as number;
    if (r < 1) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" is empty (shape ${formatShape(t.shape)}); send at least one row`);
    if (rows !== undefined && r !== rows) throw new InferenceError('INVALID_INPUT', `input "${spec.name}" has ${r} rows but other inputs have ${rows}; every input needs the same dim 0`);
    rows = r;
  }
  if (rows === undefined) throw new InferenceError('INVALID_INPUT', `no inputs; ${expected}`);
  if (rows > cfg.maxBatchSize) throw new InferenceError('INVALID_REQUEST', `request has ${rows} rows; model "${cfg.name}" accepts at most ${cfg.maxBatchSize} rows per request (maxBatchSize); split it`);
  return rows;
}

/** Validates requested output names; returns them sorted and de-duplicated (all outputs when empty). */
export function resolveOutputs(cfg: ModelConfig, requested: readonly string[]): string[] {
  const all = cfg.outputs.map((o) => o.name);
  for (const r of requested) {
    if (!all.includes(r)) throw new InferenceError('INVALID_REQUEST', `unknown output "${r}"; model "${cfg.name}" has outputs: ${all.join(', ')}`);
  }
  return requested.length === 0 ? [...all].sort() : [...new Set(requested)].sort();
}
