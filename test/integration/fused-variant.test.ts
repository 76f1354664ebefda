import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedVariant } from '../../src/repository/fused-variant.js';
import { fuseAttention } from '../../src/onnx/attention-fusion.js';
import { readModel } from '../../src/onnx/onnx-io.js';
import { createSession, toFeeds } from '../../src/engine/ort-session.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { maxRelDiff, referenceRun, responseFloats, wireInputs } from '../helpers/reference.js';

const INTENT = path.resolve('models/lead-intent/1/model.onnx');
const cfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
const samples = [1, 8].map((rows) => sampleInputs(cfg, rows, 300 + rows));

describe('the fused FP32 variant (real ONNX Runtime)', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'hub-fused-test-')); });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('writes the fused model and serves it when it answers the same (fused gate open, optimizer gate shut)', async () => {
    const r = await fusedVariant(INTENT, samples, dir, { slowerTolerance: Infinity, fasterBy: 0 });
    expect(r.blocks).toBe(4);
    expect(r.disabledOptimizers).toEqual([]);
    expect(path.dirname(r.path)).toBe(dir);
    expect(existsSync(r.path)).toBe(true);
    expect(r.summary).toMatch(/^4 attention blocks fused \(SkipLayerNormFusion kept: not clearly faster without it\); fastest round over batches of 1 and 8 rows: as it is \d+ us, 4 attention blocks fused \d+ us, 4 attention blocks fused, SkipLayerNormFusion off \d+ us; served outputs within \S+ of the model's as it is$/);
    const written = readModel(r.path);
    expect(written.graph!.node!.filter((n) => n.opType === 'Attention')).toHaveLength(4);
    const inputs = sampleInputs(cfg, 3, 77);
    const [a, b] = [await referenceRun(INTENT, inputs), await referenceRun(r.path, inputs)];
    expect(maxRelDiff(b['logits']!, a['logits']!)).toBeLessThan(1e-5);
  });

  it('leaves ONNX Runtime\'s SkipLayerNormFusion out when that is faster (both gates open)', async () => {
    const r = await fusedVariant(INTENT, samples, dir, { slowerTolerance: Infinity, fasterBy: Infinity });
    expect(r.blocks).toBe(4);
    expect(r.disabledOptimizers).toEqual(['SkipLayerNormFusion']);
    expect(r.summary).toMatch(/^4 attention blocks fused, SkipLayerNormFusion off; fastest round/);
    // What the engine then creates: a session without the fusion, answering as the model does.
    const inputs = sampleInputs(cfg, 4, 78);
    const s = (await createSession(r.path, { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended', disabledOptimizers: r.disabledOptimizers })).session;
    try {
      const got = (await s.run(toFeeds(inputs)))['logits']!.data as Float32Array;
      expect(maxRelDiff(got, (await referenceRun(INTENT, inputs))['logits']!)).toBeLessThan(1e-5);
    } finally {
      await s.release();
    }
  });

  it('serves the original when the fused model answers differently', async () => {
    // A wrong rewrite: fused, then every Attention's scale off by 10%.
    const wrong = (m: Parameters<typeof fuseAttention>[0]): ReturnType<typeof fuseAttention> => {
      const r = fuseAttention(m);
      for (const n of r.model.graph!.node!) for (const a of n.attribute ?? []) if (n.opType === 'Attention' && a.name === 'scale') a.f = (a.f ?? 1) * 0.9;
      return r;
    };
    const r = await fusedVariant(INTENT, samples, dir, { rewrite: wrong, slowerTolerance: Infinity, fasterBy: Infinity });
    expect(r).toMatchObject({ path: INTENT, blocks: 0, disabledOptimizers: [] });
    expect(r.summary).toMatch(/^as it is \(4 attention blocks not fused: outputs differ by \S+ of their magnitude \(limit 0.0001\)\); fastest round/);
  });

  it('serves the original when the fused model is not faster (both gates shut)', async () => {
    const r = await fusedVariant(INTENT, samples, dir, { slowerTolerance: 0, fasterBy: 0 });
    expect(r).toMatchObject({ path: INTENT, blocks: 0, disabledOptimizers: [] });
    expect(r.summary).toMatch(/^as it is \(4 attention blocks not fused: not faster here\); fastest round over batches of 1 and 8 rows: as it is \d+ us/);
  });

  it('has nothing to try on a model without attention or LayerNormalization, or with attention it does not match', async () => {
    for (const file of ['models/lead-scoring/1/model.onnx', 'test/fixtures/byom/torch-text/1/model.onnx']) {
      const r = await fusedVariant(path.resolve(file), [], dir);
      expect(r, file).toEqual({ path: path.resolve(file), blocks: 0, disabledOptimizers: [], summary: undefined });
    }
  });
});

describe('a server on CPU tunes the graph of its FP32 variants', () => {
  let on: TestServer;
  let off: TestServer;
  beforeAll(async () => { [on, off] = await Promise.all([startTestServer(), startTestServer({ env: { HUB_GRAPH_TUNING: 'false' } })]); });
  afterAll(async () => { await Promise.all([on?.close(), off?.close()]); });

  it('says what it did in GetModelMetadata and answers as the model does', async () => {
    const meta = await on.call('GetModelMetadata', { model: 'lead-intent' });
    // What serves depends on this host's timing (the gates); what was found and measured does not.
    expect(meta.graphRewrites['fp32']).toMatch(/^(4 attention blocks fused|as it is).*; fastest round over batches of 1 and 8 rows: as it is \d+ us, 4 attention blocks fused \d+ us, 4 attention blocks fused, SkipLayerNormFusion off \d+ us; served outputs within /);
    expect(meta.graphRewrites['int8']).toBeUndefined();
    expect((await on.call('GetModelMetadata', { model: 'lead-scoring' })).graphRewrites).toEqual({});
    const inputs = sampleInputs(cfg, 5, 91);
    const ref = await referenceRun(INTENT, inputs);
    for (const srv of [on, off]) {
      const res = await srv.call('Predict', { model: 'lead-intent', variant: 'VARIANT_FP32', inputs: wireInputs(inputs), cache: 'CACHE_POLICY_BYPASS' });
      expect(maxRelDiff(responseFloats(res.outputs[0]), ref['logits']!)).toBeLessThan(1e-5);
    }
    expect((await off.call('GetModelMetadata', { model: 'lead-intent' })).graphRewrites).toEqual({});
  });
});
