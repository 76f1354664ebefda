/**
 * Builds throw-away model repositories for tests: bundled models with config overrides (model files are
 * symlinked, never copied), plus deliberately broken entries.
 */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Repository root of the bundled models. */
export const BUNDLED = path.resolve('models');

/** Deep-merges plain objects (arrays replace). */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
      ? merge(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** A temp repository. */
export interface TempRepo {
  readonly root: string;
  /** Adds a bundled model under a (possibly new) name with config overrides. */
  addBundled(source: string, overrides?: Record<string, unknown>, as?: string): void;
  /** Writes an arbitrary config.json (and optionally links a model file) for broken-model tests. */
  addRaw(name: string, config: unknown, modelFrom?: string): void;
  remove(): void;
}

/** Creates an empty temp repository. */
export function tempRepo(): TempRepo {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hub-repo-'));
  return {
    root,
    addBundled(source, overrides = {}, as = source) {
      const src = path.join(BUNDLED, source);
      const cfg = JSON.parse(readFileSync(path.join(src, 'config.json'), 'utf8')) as Record<string, unknown>;
      const dir = path.join(root, as);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify(merge({ ...cfg, name: as }, overrides), null, 2));
      for (const v of readdirSync(src)) {
        if (statSync(path.join(src, v)).isDirectory()) symlinkSync(path.join(src, v), path.join(dir, v), 'dir');
      }
    },
    addRaw(name, config, modelFrom) {
      const dir = path.join(root, name);
      mkdirSync(path.join(dir, '1'), { recursive: true });
      writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
      if (modelFrom) symlinkSync(path.resolve(modelFrom), path.join(dir, '1', 'model.onnx'));
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
