/** Validation and calibration inputs: from the model config's sample specs, or from a .jsonl file. */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { ModelProto } from '../src/onnx/onnx-io.js';
import { OnnxDataType } from '../src/onnx/onnx-io.js';
import { parseModelConfig, readModelConfig, type ModelConfig } from '../src/repository/model-config.js';
import type { DType, HostTensor } from '../src/tensor/tensor.js';
import { QuantizeError } from './dynamic-quantizer.js';

const ONNX_TO_DTYPE: Readonly<Record<number, DType>> = {
  [OnnxDataType.FLOAT]: 'float32', [OnnxDataType.INT64]: 'int64', [OnnxDataType.INT32]: 'int32',
  [OnnxDataType.UINT8]: 'uint8', [OnnxDataType.BOOL]: 'bool', [OnnxDataType.FLOAT16]: 'float16',
};

/**
 * The model config next to a model file (models/<name>/config.json two levels up), or one derived from the
 * graph's inputs (float inputs only: integer inputs such as token ids need a config's sample ranges).
 */
export function configFor(modelFile: string, model: ModelProto): ModelConfig {
  const versionDir = path.dirname(path.resolve(modelFile));
  const modelDir = path.dirname(versionDir);
  const cfgFile = path.join(modelDir, 'config.json');
  if (existsSync(cfgFile)) return readModelConfig(cfgFile, path.basename(modelDir));
  const init = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  const spec = (v: NonNullable<NonNullable<ModelProto['graph']>['input']>[number]): Record<string, unknown> => {
    const tt = v.type?.tensorType;
    const dtype = ONNX_TO_DTYPE[tt?.elemType ?? 0];
    if (!dtype) throw new QuantizeError(`input "${v.name}" has an unsupported element type ${tt?.elemType}`);
    const dims = (tt?.shape?.dim ?? []).map((d, i) => (i === 0 ? -1 : Number(d.dimValue ?? 0)));
    if (dims.slice(1).some((d) => !(d > 0))) throw new QuantizeError(`input "${v.name}" has a dynamic non-batch dim; give --config with a models/<name>/config.json`);
    if (dtype !== 'float32') throw new QuantizeError(`input "${v.name}" is ${dtype}: generating values needs a config.json with a "sample" range (put the model in models/<name>/<version>/)`);
    return { name: v.name, dtype, shape: dims };
  };
  const inputs = (model.graph?.input ?? []).filter((v) => !init.has(v.name)).map(spec);
  const outputs = (model.graph?.output ?? []).map((v) => ({ name: v.name, dtype: 'float32', shape: [-1, ...(v.type?.tensorType?.shape?.dim ?? []).slice(1).map((d) => Number(d.dimValue ?? 1) || 1)] }));
  return parseModelConfig({ name: 'model', inputs, outputs, maxBatchSize: 4096 }, modelFile);
}

/**
 * Reads calibration/validation rows from a .jsonl file: one JSON object per line mapping each input name to
 * an array of rows (or a single row), e.g. {"features": [[0.1, 0.2, ...]]}. Rows are concatenated.
 */
export function readJsonl(file: string, cfg: ModelConfig): Record<string, HostTensor> {
  const values = new Map<string, number[]>(cfg.inputs.map((i) => [i.name, []]));
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
      const width = spec.shape.slice(1).reduce((a, b) => a * b, 1);
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
    const shape = [rows, ...spec.shape.slice(1)];
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
