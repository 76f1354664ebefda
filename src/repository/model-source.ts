/**
 * Where a model's config comes from: config.json where it exists, completed from the latest version's ONNX
 * signature for whatever it leaves out (inputs, outputs), or entirely from the ONNX file when there is none
 * (Triton's auto-complete, see auto-config.ts). Messages name files as the repository shows them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readModelStructure, readModelStructureAsync, type ModelProto } from '../onnx/onnx-io.js';
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
 * The first step of reading a model's config: either the config itself (config.json declares inputs and
 * outputs), or the ONNX file whose graph completes it and the function that does.
 */
type ConfigStep = { readonly done: ModelConfigSource } | { readonly graphOf: string; readonly complete: (read: () => ModelProto) => ModelConfigSource };

function configStep(name: string, dir: string, latest: string | undefined, shown: (file: string) => string): ConfigStep {
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
    if (declared['inputs'] !== undefined && declared['outputs'] !== undefined) return { done: { config: readModelConfig(cfgFile, name, cfgShown), source: CONFIG_FILE } };
  }
  if (latest === undefined) {
    throw new Error(`${shown(dir)}: no <version>/${VARIANT_FILES.fp32} to serve${declared ? '' : ' (and no config.json)'}; put the exported model at ${shown(path.join(dir, '1', VARIANT_FILES.fp32))}`);
  }
  const onnxFile = path.join(dir, latest, VARIANT_FILES.fp32);
  const complete = (read: () => ModelProto): ModelConfigSource => {
    let sig;
    try {
      sig = onnxSignature(read());
    } catch (e) {
      throw new Error(`${shown(onnxFile)}: cannot read the model: ${(e as Error).message}`);
    }
    const completed = autoCompleteConfig(name, sig, declared, shown(onnxFile));
    const config = parseModelConfig(completed.raw, declared ? cfgShown : shown(onnxFile));
    if (config.name !== name) throw new ModelConfigError(cfgShown, `${cfgShown}: field "name": "${config.name}" must equal the directory name "${name}"`);
    return { config, source: `${declared ? 'config.json, completed' : 'auto-completed'} from ${shown(onnxFile)} (${completed.inferred.join(', ')})` };
  };
  return { graphOf: onnxFile, complete };
}

/**
 * Reads or completes the config of model `name` in `dir`; `latest` is its newest version with a model.onnx
 * (undefined: none). `shown` turns a path into how messages name it. For the scan at start-up.
 */
export function modelConfigFor(name: string, dir: string, latest: string | undefined, shown: (file: string) => string): ModelConfigSource {
  const step = configStep(name, dir, latest, shown);
  return 'done' in step ? step.done : step.complete(() => readModelStructure(step.graphOf));
}

/** modelConfigFor for a reload while other models serve: the ONNX file, when needed, is read off the event loop. */
export async function modelConfigForAsync(name: string, dir: string, latest: string | undefined, shown: (file: string) => string): Promise<ModelConfigSource> {
  const step = configStep(name, dir, latest, shown);
  if ('done' in step) return step.done;
  const graph = await readModelStructureAsync(step.graphOf).catch((e: unknown) => e as Error);
  return step.complete(() => {
    if (graph instanceof Error) throw graph;
    return graph;
  });
}
