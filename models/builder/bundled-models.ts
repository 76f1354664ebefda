/**
 * The bundled models and the idempotent writer behind `npm run models`: each model is built in memory,
 * encoded, and written to `<out>/<name>/1/model.onnx` only when the bytes differ from the file already
 * there (same sha256 = skip), so re-runs are cheap and never touch files other processes may be reading.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModel, type ModelProto } from '../../src/onnx/onnx-io.js';
import { buildLeadIntent } from './lead-intent-model.js';
import { buildLeadScoring, buildPropertyValuation } from './mlp-models.js';
import { CONFIG_FILE, VARIANT_FILES } from '../../src/repository/model-layout.js';

/** Model version directory the builder writes (the repository serves the highest numeric version). */
export const BUNDLED_VERSION = '1';

/** Name -> recipe of every bundled model, in build order. */
export const BUNDLED_MODELS: Readonly<Record<string, () => ModelProto>> = Object.freeze({
  'lead-scoring': buildLeadScoring,
  'property-valuation': buildPropertyValuation,
  'lead-intent': buildLeadIntent,
});

/** What happened to one model file. */
export interface BuildResult {
  name: string;
  file: string;
  status: 'wrote' | 'unchanged';
  bytes: number;
  sha256: string;
  configCopied: boolean;
  /** True when the file was rewritten while a model.int8.onnx sat beside it: that INT8 file now needs re-quantizing. */
  int8Stale: boolean;
  ms: number;
}

/** Encodes one bundled model to its ONNX bytes (pure: same bytes on every call). */
export function encodeBundled(name: string): Uint8Array {
  const recipe = BUNDLED_MODELS[name];
  if (!recipe) throw new Error(`unknown bundled model "${name}" (known: ${Object.keys(BUNDLED_MODELS).join(', ')})`);
  return encodeModel(recipe());
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Directory holding the committed config.json files, whether running from source (tsx) or from dist/. */
function sourceModelsDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [path.resolve(here, '..'), path.resolve(here, '../../../models')]
    .find((d) => Object.keys(BUNDLED_MODELS).every((n) => existsSync(path.join(d, n, 'config.json'))));
}

/**
 * Writes every bundled model under `out`. `force` rewrites even identical files. A missing config.json is
 * copied from the committed one, so `--out <dir>` yields a complete, servable repository.
 */
export function writeBundledModels(out: string, opts: { force?: boolean; names?: readonly string[] } = {}): BuildResult[] {
  const configs = sourceModelsDir();
  return (opts.names ?? Object.keys(BUNDLED_MODELS)).map((name) => {
    const t0 = performance.now();
    const bytes = encodeBundled(name);
    const digest = sha256(bytes);
    const dir = path.join(out, name, BUNDLED_VERSION);
    const file = path.join(dir, VARIANT_FILES.fp32);
    const same = !opts.force && existsSync(file) && sha256(readFileSync(file)) === digest;
    if (!same) {
      mkdirSync(dir, { recursive: true });
      // temp file + rename: a server or test reading the model never sees a half-written file.
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
    }
    const cfgOut = path.join(out, name, CONFIG_FILE);
    const cfgSrc = configs && path.join(configs, name, CONFIG_FILE);
    const configCopied = !!cfgSrc && !existsSync(cfgOut) && path.resolve(cfgSrc) !== path.resolve(cfgOut);
    if (configCopied) copyFileSync(cfgSrc, cfgOut);
    const int8Stale = !same && existsSync(path.join(dir, VARIANT_FILES.int8));
    return { name, file, status: same ? 'unchanged' : 'wrote', bytes: bytes.byteLength, sha256: digest, configCopied, int8Stale, ms: performance.now() - t0 };
  });
}
