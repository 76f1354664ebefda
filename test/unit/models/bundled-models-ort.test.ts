import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBundledModels } from '../../../models/builder/bundled-models.js';
import { readModelConfig, type ModelConfig } from '../../../src/repository/model-config.js';
import { sampleInputs } from '../../../src/repository/sample-inputs.js';
import type { HostTensor } from '../../../src/tensor/tensor.js';

// The models are built into a temp dir (not models/) so this suite never races `npm run models` or the quantizer.
let dir: string;
const sessions = new Map<string, ort.InferenceSession>();

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'hub-models-ort-'));
  writeBundledModels(dir);
});

afterAll(async () => {
  for (const s of sessions.values()) await s.release();
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string): ModelConfig {
  return readModelConfig(path.resolve('models', name, 'config.json'), name);
}

async function session(name: string): Promise<ort.InferenceSession> {
  let s = sessions.get(name);
  if (!s) {
    // 'extended' is what the server uses (INT8 fusions need it), so the FP32 graph must survive those rewrites.
    s = await ort.InferenceSession.create(path.join(dir, name, '1', 'model.onnx'),
      { graphOptimizationLevel: 'extended', intraOpNumThreads: 1, executionProviders: ['cpu'] });
    sessions.set(name, s);
  }
  return s;
}

function toOrt(t: HostTensor): ort.Tensor {
  const buf = new Uint8Array(t.data).buffer;
  if (t.dtype === 'int64') return new ort.Tensor('int64', new BigInt64Array(buf), [...t.shape]);
  if (t.dtype === 'float32') return new ort.Tensor('float32', new Float32Array(buf), [...t.shape]);
  throw new Error(`dtype ${t.dtype} not used by bundled models`);
}

async function run(name: string, inputs: Record<string, HostTensor>): Promise<Record<string, ort.Tensor>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [n, t] of Object.entries(inputs)) feeds[n] = toOrt(t);
  return (await session(name)).run(feeds);
}

function floats(t: ort.Tensor | undefined): Float32Array {
  if (!t) throw new Error('missing output');
  return t.data as Float32Array;
}

describe.each(['lead-scoring', 'property-valuation', 'lead-intent'])('bundled model %s in ONNX Runtime', (name) => {
  it('declares exactly the signature of its config.json (names, dtypes, symbolic batch dim)', async () => {
    const cfg = config(name);
    const s = await session(name);
    const sig = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
      list.map((m) => ({ name: m.name, dtype: m.isTensor ? m.type : '?', shape: m.isTensor ? m.shape.map((d) => (typeof d === 'number' ? d : -1)) : [] }));
    const spec = (list: ModelConfig['inputs']) => list.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
    expect(sig(s.inputMetadata)).toEqual(spec(cfg.inputs));
    expect(sig(s.outputMetadata)).toEqual(spec(cfg.outputs));
  });

  it.each([1, 7])('returns finite outputs of the declared shape at batch %i', async (rows) => {
    const cfg = config(name);
    const out = await run(name, sampleInputs(cfg, rows, rows));
    for (const spec of cfg.outputs) {
      const t = out[spec.name];
      expect(t?.dims).toEqual([rows, ...spec.shape.slice(1)]);
      expect(floats(t).every(Number.isFinite)).toBe(true);
    }
  });

  it('gives each row the same answer alone as inside a batch (rows are independent)', async () => {
    const cfg = config(name);
    const batch = sampleInputs(cfg, 5, 42);
    const output = cfg.outputs[0]!.name;
    const all = floats((await run(name, batch))[output]);
    const width = all.length / 5;
    for (const r of [0, 3]) {
      const row: Record<string, HostTensor> = {};
      for (const [n, t] of Object.entries(batch)) {
        const rowBytes = t.data.byteLength / 5;
        row[n] = { dtype: t.dtype, shape: [1, ...t.shape.slice(1)], data: t.data.slice(r * rowBytes, (r + 1) * rowBytes) };
      }
      const alone = floats((await run(name, row))[output]);
      alone.forEach((v, i) => expect(v).toBeCloseTo(all[r * width + i]!, name === 'property-valuation' ? 0 : 4));
    }
  });
});

describe('bundled model outputs are in a useful range', () => {
  it('lead-scoring probabilities spread inside (0, 1) rather than saturating', async () => {
    const p = Array.from(floats((await run('lead-scoring', sampleInputs(config('lead-scoring'), 64, 5))).probability));
    expect(Math.min(...p)).toBeGreaterThan(0.01);
    expect(Math.max(...p)).toBeLessThan(0.99);
    expect(Math.max(...p) - Math.min(...p)).toBeGreaterThan(0.3);
  });

  it('property-valuation values are positive dollar amounts around 400k', async () => {
    const v = Array.from(floats((await run('property-valuation', sampleInputs(config('property-valuation'), 64, 5))).value));
    expect(Math.min(...v)).toBeGreaterThan(0);
    expect(Math.max(...v)).toBeLessThan(2_000_000);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean).toBeGreaterThan(250_000);
    expect(mean).toBeLessThan(550_000);
  });

  it('lead-intent argmax varies across random messages (top-1 agreement is a meaningful metric)', async () => {
    const rows = 48;
    const logits = floats((await run('lead-intent', sampleInputs(config('lead-intent'), rows, 9))).logits);
    const counts = new Array<number>(8).fill(0);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(logits.subarray(r * 8, r * 8 + 8));
      counts[row.indexOf(Math.max(...row))]! += 1;
    }
    expect(counts.filter((c) => c > 0).length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...counts)).toBeLessThan(rows / 2);
  });

  it('lead-intent ignores token ids under a zero attention mask', async () => {
    const inputs = sampleInputs(config('lead-intent'), 2, 13);
    const ids = new BigInt64Array(new Uint8Array(inputs.input_ids!.data).buffer);
    const mask = new BigInt64Array(new Uint8Array(inputs.attention_mask!.data).buffer);
    mask.fill(0n, 10, 64); // row 0: 10 real tokens, the rest padding
    const before = floats((await run('lead-intent', { ...inputs, attention_mask: { ...inputs.attention_mask!, data: new Uint8Array(mask.buffer) } })).logits).slice(0, 8);
    for (let i = 10; i < 64; i++) ids[i] = BigInt((i * 97) % 8191 + 1);
    const after = floats((await run('lead-intent', {
      input_ids: { ...inputs.input_ids!, data: new Uint8Array(ids.buffer) },
      attention_mask: { ...inputs.attention_mask!, data: new Uint8Array(mask.buffer) },
    })).logits).slice(0, 8);
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]!, 4));
  });
});
