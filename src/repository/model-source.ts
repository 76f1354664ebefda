/**
 * Where a model's config comes from: config.json where it exists, completed from the latest version's ONNX
 * signature for whatever it leaves out (inputs, outputs), or entirely from the ONNX file when there is none
 * (Triton's auto-complete, see auto-config.ts). Messages name files as the repository shows them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readModelStructure } from '../onnx/onnx-io.js';
import { autoCompleteConfig, onnxSignature } from './auto-config.js';
import { ModelConfigError, parseModelConfig, readModelConfig, type ModelConfig } from './model-config.js';
import { CONFIG_FILE, VARIANT_FILES } from './model-layout.js';

/** A model's config and a sentence saying where it came from. */
export interface ModelConfigSource {
  readonly config: ModelConfig;
  /** `config.json`, or e.g. `auto-completed from m/1/model.onnx (inputs, outputs)`. */
  readonly source: string;
}

/**
 * Reads or completes the config of model `name` in `dir`; `latest` is its newest version with a model.onnx
 * (undefined: none). `shown` turns a path into how messages name it.
 */
export function modelConfigFor(name: string, dir: string, latest: string | undefined, shown: (file: string) => string): ModelConfigSource {
  const cfgFile = path.join(dir, CONFIG_FILE);
  const cfgShown = shown(cfgFile);
  let declared: Record<string, unknown> | undefined;
  if (existsSync(cfgFile)) {
    try {
      declared = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ModelConfigError(cfgShown, `${cfgShown}: cannot read config: ${(e as Error).message}`);
    }
    if (!declared || typeof declared !== 'object' || Array.isArray(declared)) throw new ModelConfigError(cfgShown, `${cfgShown}: the config must be a JSON object`);
    if (declared['inputs'] !== undefined && declared['outputs'] !== undefined) return { config: readModelConfig(cfgFile, name, cfgShown), source: CONFIG_FILE };
  }
  if (latest === undefined) {
    throw new Error(`${shown(dir)}: no <version>/${VARIANT_FILES.fp32} to serve${declared ? '' : ' (and no config.json)'}; put the exported model at ${shown(path.join(dir, '1', VARIANT_FILES.fp32))}`);
  }
  const onnxFile = path.join(dir, latest, VARIANT_FILES.fp32);
  let sig;
  try {
    sig = onnxSignature(readModelStructure(onnxFile));
  } catch (e) {
    throw new Error(`${shown(onnxFile)}: cannot read the model: ${(e as Error).message}`);
  }
  const completed = autoCompleteConfig(name, sig, declared, shown(onnxFile));
  const config = parseModelConfig(completed.raw, declared ? cfgShown : shown(onnxFile));
  if (config.name !== name) throw new ModelConfigError(cfgShown, `${cfgShown}: field "name": "${config.name}" must equal the directory name "${name}"`);
  return { config, source: `${declared ? 'config.json, completed' : 'auto-completed'} from ${shown(onnxFile)} (${completed.inferred.join(', ')})` };
}
