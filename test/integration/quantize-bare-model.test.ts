/**
 * `npm run quantize -- path/model.onnx` on bare exported models (test/fixtures/byom), with no repository
 * config: inputs come from the graph's signature, token ids from the embedding table they index.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readModel, valueInfo, OnnxDataType, writeModel } from '../../src/onnx/onnx-io.js';

const FIXTURES = path.resolve('test/fixtures/byom');

function quantize(file: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['dist/quantize/cli.js', file, '--quiet', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function bareCopy(name: string): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-bare-'));
  const file = path.join(dir, 'model.onnx');
  copyFileSync(path.join(FIXTURES, name, '1', 'model.onnx'), file);
  return { dir, file };
}

describe('quantize a bare exported model', () => {
  it.each(['torch-mlp', 'torch-text'])('%s: writes an INT8 file that passes the gate, with no config', (name) => {
    const { dir, file } = bareCopy(name);
    try {
      const r = quantize(file);
      expect(r.out).toMatch(/gate PASSED/);
      expect(r.code).toBe(0);
      expect(existsSync(path.join(dir, 'model.int8.onnx'))).toBe(true);
      const report = JSON.parse(readFileSync(path.join(dir, 'model.int8.report.json'), 'utf8')) as { passed: boolean; quantizedNodes: number };
      expect(report.passed).toBe(true);
      expect(report.quantizedNodes).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['sk-trees', 'sk-linear-clf'])('%s: says there is nothing to quantize, exits 0 and writes nothing', (name) => {
    const { dir, file } = bareCopy(name);
    try {
      const r = quantize(file);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/nothing to quantize .*no INT8 file was written/);
      expect(existsSync(path.join(dir, 'model.int8.onnx'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with the flag to pass when nothing tells an integer input\'s range, and runs with it', () => {
    const { dir, file } = bareCopy('torch-text');
    try {
      // Rename the mask input so neither the graph nor the name convention describes it.
      const m = readModel(file);
      const g = m.graph!;
      g.input = g.input!.map((v) => (v.name === 'attention_mask' ? valueInfo('flags', OnnxDataType.INT64, ['batch', 'sequence']) : v));
      for (const n of g.node ?? []) n.input = (n.input ?? []).map((i) => (i === 'attention_mask' ? 'flags' : i));
      writeModel(file, m);
      const refused = quantize(file);
      expect(refused.code).toBe(2);
      expect(refused.out).toMatch(/input "flags" is int64 and nothing says its range .*pass --input flags=int:MIN:MAX/);
      const ok = quantize(file, '--input', 'flags=int:0:1');
      expect(ok.out).toMatch(/gate PASSED/);
      expect(ok.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates on --calibration rows when given, even in dynamic mode', () => {
    const { dir, file } = bareCopy('torch-text');
    try {
      const rows = path.join(dir, 'rows.jsonl');
      const e = JSON.parse(readFileSync(path.join(FIXTURES, 'torch-text', 'expected.json'), 'utf8')) as { inputs: Record<string, { shape: number[]; data: number[] }> };
      const lines = [0, 1, 2].map((r) => JSON.stringify({
        input_ids: [e.inputs['input_ids']!.data.slice(r * 12, r * 12 + 12)],
        attention_mask: [e.inputs['attention_mask']!.data.slice(r * 12, r * 12 + 12)],
      }));
      writeFileSync(rows, `${lines.join('\n')}\n`);
      const r = quantize(file, '--calibration', rows);
      expect(r.code).toBe(0);
      const report = JSON.parse(readFileSync(path.join(dir, 'model.int8.report.json'), 'utf8')) as { passed: boolean };
      expect(report.passed).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
