import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODELS, writeBundledModels } from '../../../models/builder/bundled-models.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'hub-models-'));
  dirs.push(d);
  return d;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bundled model builder', () => {
  const names = Object.keys(BUNDLED_MODELS);

  it('writes byte-identical model files when building twice into two fresh directories', () => {
    const [a, b] = [tempDir(), tempDir()];
    const ra = writeBundledModels(a);
    const rb = writeBundledModels(b);
    expect(ra.map((r) => r.name)).toEqual(['lead-scoring', 'property-valuation', 'lead-intent']);
    for (const name of names) {
      const fa = readFileSync(path.join(a, name, '1', 'model.onnx'));
      const fb = readFileSync(path.join(b, name, '1', 'model.onnx'));
      expect(fa.equals(fb), name).toBe(true);
    }
    expect(ra.map((r) => r.sha256)).toEqual(rb.map((r) => r.sha256));
  });

  it('skips unchanged files on re-run and rewrites them with force', () => {
    const dir = tempDir();
    expect(writeBundledModels(dir).map((r) => r.status)).toEqual(['wrote', 'wrote', 'wrote']);
    expect(writeBundledModels(dir).map((r) => r.status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(writeBundledModels(dir, { force: true, names: ['lead-scoring'] }).map((r) => r.status)).toEqual(['wrote']);
  });

  it('flags a model.int8.onnx beside a rewritten model as stale', () => {
    const dir = tempDir();
    writeBundledModels(dir, { names: ['lead-scoring'] });
    writeFileSync(path.join(dir, 'lead-scoring', '1', 'model.int8.onnx'), 'placeholder');
    expect(writeBundledModels(dir, { names: ['lead-scoring'] })[0]?.int8Stale).toBe(false);
    expect(writeBundledModels(dir, { names: ['lead-scoring'], force: true })[0]?.int8Stale).toBe(true);
  });

  it('copies each committed config.json into a fresh repository so it is servable', () => {
    const dir = tempDir();
    const results = writeBundledModels(dir, { names: ['property-valuation'] });
    expect(results[0]?.configCopied).toBe(true);
    const copied = readFileSync(path.join(dir, 'property-valuation', 'config.json'), 'utf8');
    expect(copied).toBe(readFileSync(path.resolve('models', 'property-valuation', 'config.json'), 'utf8'));
    expect(existsSync(path.join(dir, 'lead-intent'))).toBe(false);
  });

  it('rejects an unknown model name', () => {
    expect(() => writeBundledModels(tempDir(), { names: ['nope'] })).toThrow(/unknown bundled model "nope"/);
  });
});
