/**
 * Checks a model config's declared inputs and outputs against what ONNX Runtime read from the model file, so a
 * config that does not describe its model fails at load with every mismatch named, not at the first request.
 */
import { formatShape } from '../tensor/tensor.js';
import type { LoadedVariantInfo } from '../engine/inference-engine.js';
import type { ModelConfig, TensorSpec } from './model-config.js';

function onnxTypeOk(spec: TensorSpec, ortType: string): boolean {
  return spec.dtype === ortType;
}

/** Checks a config's declared inputs/outputs against what ONNX Runtime read from the model file. */
export function checkSignature(cfg: ModelConfig, info: LoadedVariantInfo, file: string): void {
  const problems: string[] = [];
  for (const [kind, declared, actual] of [['input', cfg.inputs, info.inputs], ['output', cfg.outputs, info.outputs]] as const) {
    const actualNames = new Set(actual.map((a) => a.name));
    for (const spec of declared) {
      const a = actual.find((x) => x.name === spec.name);
      if (!a) { problems.push(`${kind} "${spec.name}" is declared in config.json but the model has ${kind}s [${[...actualNames].join(', ')}]`); continue; }
      if (!onnxTypeOk(spec, a.type)) problems.push(`${kind} "${spec.name}": config says ${spec.dtype}, model says ${a.type}`);
      if (a.shape.length !== spec.shape.length) {
        problems.push(`${kind} "${spec.name}": config shape ${formatShape(spec.shape)} has rank ${spec.shape.length}, model shape [${a.shape.join(',')}] has rank ${a.shape.length}`);
        continue;
      }
      spec.shape.forEach((d, i) => {
        const m = a.shape[i];
        if (i === 0) {
          if (typeof m === 'number' && m > 0 && cfg.maxBatchSize > 1) problems.push(`${kind} "${spec.name}": model fixes dim 0 to ${m}; batching needs a dynamic batch dim`);
          return;
        }
        if (typeof m === 'number' && m > 0 && m !== d) problems.push(`${kind} "${spec.name}": dim ${i} is ${d} in config.json but ${m} in the model`);
      });
    }
    if (kind === 'input') {
      for (const a of actual) if (!declared.some((s) => s.name === a.name)) problems.push(`model input "${a.name}" is not declared in config.json`);
    }
  }
  if (problems.length > 0) throw new Error(`${file}: signature does not match config.json: ${problems.join('; ')}`);
}

