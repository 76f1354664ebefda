/** Validation and calibration inputs: from the model config's sample specs, or from a .jsonl file. */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { ModelProto } from '../src/onnx/onnx-io.js';
import { parseModelConfig, type ModelConfig, type SampleSpec } from '../src/repository/model-config.js';
import { AutoConfigError, autoCompleteConfig, onnxSignature } from '../src/repository/auto-config.js';
import { inferInputRanges, type InputRange } from '../src/repository/input-ranges.js';
import type { HostTensor } from '../src/tensor/tensor.js';
import { QuantizeError } from './dynamic-quantizer.js';

/**
 * The model config next to a model file (models/<name>/config.json two levels up), completed from the graph
 * where it leaves inputs/outputs out; for a bare exported file, one auto-completed from the graph's signature
 * exactly as the server does it (src/repository/auto-config.ts). `inputs` (from --input flags) sets how an
 * input's values are generated.
 */
export function configFor(modelFile: string, model: ModelProto, inputs: Readonly<Record<string, SampleSpec>> = {}): ModelConfig {
  const versionDir = path.dirname(path.resolve(modelFile));
  const modelDir = path.dirname(versionDir);
  const cfgFile = path.join(modelDir, 'config.json');
  let declared: Record<string, unknown> | undefined;
  let name = 'model';
  if (existsSync(cfgFile)) {
    name = path.basename(modelDir);
    try {
      declared = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new QuantizeError(`${cfgFile}: cannot read config: ${(e as Error).message}`);
    }
  }
  let raw: Record<string, unknown>;
  try {
    raw = autoCompleteConfig(declared ? name : 'model', onnxSignature(model), declared, modelFile).raw;
  } catch (e) {
    if (e instanceof AutoConfigError) throw new QuantizeError(e.message);
    throw e;
  }
  if (!declared) raw = { ...raw, maxBatchSize: 4096 };
  for (const [input, sample] of Object.entries(inputs)) {
    const list = raw['inputs'] as Record<string, unknown>[];
    const spec = list.find((i) => i['name'] === input);
    if (!spec) throw new QuantizeError(`--input ${input}=...: the model has no input "${input}" (inputs: ${list.map((i) => String(i['name'])).join(', ')})`);
    spec['sample'] = sample;
  }
  return parseModelConfig(raw, existsSync(cfgFile) ? cfgFile : modelFile);
}

/**
 * Value ranges for generating inputs: what the graph says (the embedding table an input indexes), else the
 * convention that an integer input named like a mask holds 0/1. An integer input nothing describes stops the
 * run with the flag to pass.
 */
export function generatedRanges(cfg: ModelConfig, model: ModelProto): Record<string, InputRange> {
  const ranges = inferInputRanges(model);
  for (const spec of cfg.inputs) {
    const isInt = spec.dtype === 'int64' || spec.dtype === 'int32' || spec.dtype === 'uint8';
    if (!isInt || spec.sample || ranges[spec.name]) continue;
    if (/mask/i.test(spec.name)) { ranges[spec.name] = { min: 0, max: 1, source: 'name convention: a mask' }; continue; }
    throw new QuantizeError(`input "${spec.name}" is ${spec.dtype} and nothing says its range (it indexes no embedding table and the config gives no "sample"): pass --input ${spec.name}=int:MIN:MAX (or --calibration rows.jsonl)`);
  }
  return ranges;
}

/** Parses `--input NAME=int:MIN:MAX | uniform:MIN:MAX | normal:MEAN:STD | mask`. */
export function parseInputFlag(flag: string): [string, SampleSpec] {
  const eq = flag.indexOf('=');
  const name = flag.slice(0, eq);
  const [kind, a, b] = flag.slice(eq + 1).split(':');
  const n = (v: string | undefined): number => {
    const x = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(x)) throw new QuantizeError(`--input ${flag}: expected numbers, e.g. ids=int:0:4095`);
    return x;
  };
  if (eq < 1) throw new QuantizeError(`--input ${flag}: expected NAME=int:MIN:MAX, NAME=uniform:MIN:MAX, NAME=normal:MEAN:STD or NAME=mask`);
  switch (kind) {
    case 'int': case 'uniform': return [name, { kind: 'uniform', min: n(a), max: n(b) }];
    case 'normal': return [name, { kind: 'normal', mean: n(a), std: n(b) }];
    case 'mask': return [name, { kind: 'mask', minLength: 1 }];
    default: throw new QuantizeError(`--input ${flag}: unknown kind "${kind}"; use int, uniform, normal or mask`);
  }
}

/**
 * Reads calibration/validation rows from a .jsonl file: one JSON object per line mapping each input name to
 * an array of rows (or a single row), e.g. {"features": [[0.1, 0.2, ...]]}. Rows are concatenated.
 */
export function readJsonl(file: string, cfg: ModelConfig): Record<string, HostTensor> {
  const values = new Map<string, number[]>(cfg.inputs.map((i) => [i.name, []]));
  // A dynamic (-1) dim takes its size from the first row in the file; every later row must have it too.
  const dimsSeen = new Map<string, number[]>();
  const rowDims = (name: string, shape: readonly number[], v: unknown): number[] => {
    const known = dimsSeen.get(name);
    if (known) return known;
    let probe: unknown = v;
    const found: number[] = [];
    while (Array.isArray(probe)) { found.push(probe.length); probe = probe[0]; }
    const inner = found.slice(-(shape.length - 1));
    const dims = shape.slice(1).map((d, i) => (d > 0 ? d : inner[i] ?? 1));
    dimsSeen.set(name, dims);
    return dims;
  };
  let rows = 0;
  const text = readFileSync(file, 'utf8');
  text.split('\n').forEach((line, lineNo) => {
    if (!line.trim()) return;
    let obj: Record<string, unknown>;
    try { obj = JSON.parse(line) as Record<string, unknown>; } catch (e) { throw new QuantizeError(`${file}:${lineNo + 1}: not JSON: ${(e as Error).message}`); }
    let lineRows: number | undefined;
    for (const spec of cfg.inputs) {
      const v = obj[spec.name];
      if (!Array.isArray(v)) throw new QuantizeError(`${file}:${lineNo + 1}: missing input "${spec.name}"`);
      const width = rowDims(spec.name, spec.shape, v).reduce((a, b) => a * b, 1);
      const flat = (v as unknown[]).flat(Infinity) as number[];
      if (flat.length % width !== 0) throw new QuantizeError(`${file}:${lineNo + 1}: input "${spec.name}" has ${flat.length} values, not a multiple of ${width}`);
      const r = flat.length / width;
      if (lineRows !== undefined && r !== lineRows) throw new QuantizeError(`${file}:${lineNo + 1}: inputs have different row counts`);
      lineRows = r;
      values.get(spec.name)!.push(...flat);
    }
    rows += lineRows ?? 0;
  });
  if (rows === 0) throw new QuantizeError(`${file}: no rows`);
  const out: Record<string, HostTensor> = {};
  for (const spec of cfg.inputs) {
    const v = values.get(spec.name)!;
    const shape = [rows, ...(dimsSeen.get(spec.name) ?? spec.shape.slice(1))];
    let data: Uint8Array;
    switch (spec.dtype) {
      case 'float32': data = new Uint8Array(Float32Array.from(v).buffer); break;
      case 'int64': data = new Uint8Array(BigInt64Array.from(v, (x) => BigInt(Math.round(x))).buffer); break;
      case 'int32': data = new Uint8Array(Int32Array.from(v).buffer); break;
      default: data = Uint8Array.from(v);
    }
    out[spec.name] = { dtype: spec.dtype, shape, data };
  }
  return out;
}
