/**
 * Small MLP model versions for the fleet benchmark and the residency tests: many tenants' scorers of
 * different sizes and seeds, each written as `<out>/<name>/1/model.onnx` with a config.json. Same spec =
 * same bytes (the weights' PRNG keys derive from the name and the seed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeModel, type ModelProto } from '../../src/onnx/onnx-io.js';
import { CONFIG_FILE, VARIANT_FILES } from '../../src/repository/model-layout.js';
import { GraphBuilder, batchIO } from './graph-builder.js';
import { heLimit, linear, xavierLimit } from './layers.js';

/** Bumped whenever the recipe changes the bytes it writes (recorded in the model's metadata). */
const RECIPE = 'fleet-mlp-v1';

/** One fleet model: a features -> probability MLP. */
export interface FleetModelSpec {
  /** Model (directory) name. */
  readonly name: string;
  /** Mixed into every weight's PRNG key: two specs differing only by seed have different weights. */
  readonly seed: number;
  /** Input features. */
  readonly inputs: number;
  /** Hidden ReLU layer widths. */
  readonly hidden: readonly number[];
  /** preload.priority of the config (the static policy's ranking). */
  readonly priority: number;
  /** preload.pin of the config (never evicted). */
  readonly pin?: boolean;
}

/** Builds the ONNX graph of one fleet model: features [batch, inputs] -> probability [batch, 1]. */
export function buildFleetMlp(spec: FleetModelSpec): ModelProto {
  // The builder keys every weight by "<model>/<tensor>": putting the seed in the model key gives each seed its
  // own weights without a second PRNG path.
  const g = new GraphBuilder(`${spec.name}#${spec.seed}`);
  let h = 'features';
  const dims = [spec.inputs, ...spec.hidden];
  for (let i = 1; i < dims.length; i++) {
    const inDim = dims[i - 1] as number, outDim = dims[i] as number;
    h = g.op('Relu', [linear(g, h, `fc${i}`, inDim, outDim, heLimit(inDim))], `fc${i}`);
  }
  const last = dims.at(-1) as number;
  const logit = linear(g, h, 'head', last, 1, xavierLimit(last, 1));
  g.op('Sigmoid', [logit], 'head', {}, 'probability');
  return g.build({
    inputs: [batchIO('features', 'float32', [spec.inputs])],
    outputs: [batchIO('probability', 'float32', [1])],
    doc: `${spec.name}: MLP ${dims.join('-')}-1 with a sigmoid (untrained, seed ${spec.seed}).`,
    recipe: RECIPE,
  });
}

/** The config.json of a fleet model: small warm-up (the fleet loads and evicts often), its priority and pin. */
export function fleetModelConfig(spec: FleetModelSpec): Record<string, unknown> {
  return {
    name: spec.name,
    description: `fleet MLP ${[spec.inputs, ...spec.hidden].join('-')}-1, seed ${spec.seed}`,
    maxBatchSize: 64,
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, spec.inputs], sample: { kind: 'normal', mean: 0, std: 1 } }],
    outputs: [{ name: 'probability', dtype: 'float32', shape: [-1, 1] }],
    dynamicBatching: { maxQueueDelayMs: 5, preferredBatchSizes: [], maxQueueSize: 4096, defaultTimeoutMs: 0 },
    warmup: { batchSizes: [1, 8] },
    cache: { enabled: false, ttlSeconds: 300 },
    preload: { priority: spec.priority, pin: spec.pin ?? false },
  };
}

/** Writes every spec under `out` (model.onnx + config.json); returns each model's file size in bytes. */
export function writeFleetModels(out: string, specs: readonly FleetModelSpec[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const spec of specs) {
    const dir = path.join(out, spec.name);
    mkdirSync(path.join(dir, '1'), { recursive: true });
    const bytes = encodeModel(buildFleetMlp(spec));
    writeFileSync(path.join(dir, '1', VARIANT_FILES.fp32), bytes);
    writeFileSync(path.join(dir, CONFIG_FILE), `${JSON.stringify(fleetModelConfig(spec), null, 2)}\n`);
    sizes.set(spec.name, bytes.byteLength);
  }
  return sizes;
}
