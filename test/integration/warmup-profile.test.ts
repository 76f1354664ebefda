import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { readModelConfig, warmupBatchSizes } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { referenceRun, responseFloats, wireInputs } from '../helpers/reference.js';

const MODELS = ['lead-scoring', 'property-valuation', 'lead-intent'] as const;

describe('the warm-up profile (real ONNX Runtime, real server)', () => {
  let srv: TestServer;
  beforeAll(async () => { srv = await startTestServer(); });
  afterAll(async () => { await srv?.close(); });

  it('times every loaded variant at every warm-up batch size and shows it, with its decisions, in GetModelMetadata', async () => {
    for (const model of MODELS) {
      const cfg = readModelConfig(path.resolve('models', model, 'config.json'), model);
      const meta = await srv.call('GetModelMetadata', { model });
      expect(meta.profiles.map((p: { variant: string }) => p.variant).sort()).toEqual([...meta.variants].sort());
      for (const p of meta.profiles) {
        expect(p.points.map((x: { batchSize: number }) => x.batchSize)).toEqual(warmupBatchSizes(cfg));
        for (const x of p.points) {
          expect(x.medianUs).toBeGreaterThan(0);
          expect(x.rowsPerSecond).toBeCloseTo((x.batchSize * 1e6) / x.medianUs, 3);
        }
        const best = Math.max(...p.points.map((x: { rowsPerSecond: number }) => x.rowsPerSecond));
        expect(p.bestRowsPerSecond).toBeCloseTo(best, 3);
        expect(p.batchCap).toBeGreaterThanOrEqual(1);
        expect(p.batchCap).toBeLessThanOrEqual(cfg.maxBatchSize);
        expect(p.dispatchPath).toBe(meta.dispatchPaths[p.variant === 'VARIANT_INT8' ? 'int8' : 'fp32']);
      }
      expect(meta.warmupMs).toBeGreaterThan(0);
      // AUTO serves what the profile chose, and says why.
      expect(meta.autoVariantReason).toMatch(new RegExp(`^${meta.defaultVariant === 'VARIANT_INT8' ? 'int8' : 'fp32'}: `));
    }
  });

  it('answers AUTO requests with the variant the profile chose, equal to ONNX Runtime on that variant', async () => {
    for (const model of MODELS) {
      const cfg = readModelConfig(path.resolve('models', model, 'config.json'), model);
      const meta = await srv.call('GetModelMetadata', { model });
      const inputs = sampleInputs(cfg, 3, 77);
      const res = await srv.call('Predict', { model, inputs: wireInputs(inputs), cache: 'CACHE_POLICY_BYPASS' });
      expect(res.variant).toBe(meta.defaultVariant);
      const file = path.resolve('models', model, '1', res.variant === 'VARIANT_INT8' ? 'model.int8.onnx' : 'model.onnx');
      const ref = await referenceRun(file, inputs);
      const out = cfg.outputs[0]!.name;
      const got = responseFloats(res.outputs.find((o: { name: string }) => o.name === out));
      got.forEach((v, i) => expect(Math.abs(v - ref[out]![i]!)).toBeLessThan(1e-4));
    }
  });
});
