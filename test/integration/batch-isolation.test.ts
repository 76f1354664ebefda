import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempRepo, type TempRepo } from '../helpers/model-repo.js';
import { maxRelDiff, referenceRun, responseFloats, wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';

const intent = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
const scoring = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');

/** Batch-mates cannot hurt each other: bad values are refused before they share a batch, and nothing a
 * batch-mate sends changes another caller's answer or what the cache keeps for it. */
describe('batch isolation', () => {
  let srv: TestServer;
  let repo: TempRepo;
  beforeAll(async () => {
    repo = tempRepo();
    // Fixed 100 ms windows make sure concurrent calls share one engine batch.
    repo.addBundled('lead-intent', { dynamicBatching: { maxQueueDelayMs: 100 }, preload: { priority: 100 } }, 'intent-window');
    repo.addBundled('lead-scoring', { dynamicBatching: { maxQueueDelayMs: 100, preferredBatchSizes: [] }, preload: { priority: 90 } }, 'scoring-window');
    srv = await startTestServer({ config: { modelRepository: repo.root, batching: 'window', preloadTop: 2 } });
  });
  afterAll(async () => { await srv?.close(); repo?.remove(); });

  const callIntent = (inputs: ReturnType<typeof sampleInputs>): Promise<any> =>
    srv.call('Predict', { model: 'intent-window', variant: 'VARIANT_FP32', cache: 'CACHE_POLICY_BYPASS', inputs: wireInputs(inputs) });

  it.each([[8192n, '8192'], [-1n, '-1'], [999_999n, '999999']])('a token id of %s is INVALID_ARGUMENT naming input, row, position and range; batch-mates are answered', async (id, shown) => {
    const good = [1, 2, 3].map((seed) => sampleInputs(intent, 1, seed));
    const badInputs = sampleInputs(intent, 2, 9);
    new BigInt64Array(badInputs['input_ids']!.data.buffer)[64 + 3] = id; // row 1, position 3
    const results = await Promise.allSettled([callIntent(good[0]!), callIntent(badInputs), callIntent(good[1]!), callIntent(good[2]!)]);
    const bad = results[1] as PromiseRejectedResult;
    expect(bad.status).toBe('rejected');
    expect(bad.reason.code).toBe(status.INVALID_ARGUMENT);
    expect(bad.reason.details).toBe(`input "input_ids" row 1 position 3 has value ${shown}, outside the valid range [0, 8191] (from the embedding table it indexes, 8192 rows)`);
    for (const [i, r] of [results[0], results[2], results[3]].entries()) {
      expect(r!.status).toBe('fulfilled');
      const ref = await referenceRun(path.resolve('models/lead-intent/1/model.onnx'), good[i]!);
      expect(maxRelDiff(responseFloats((r as PromiseFulfilledResult<any>).value.outputs[0]), ref['logits']!)).toBeLessThan(1e-3);
    }
  });

  it('a NaN or Inf batch-mate is refused and cannot change a victim\'s answer or its cached value', async () => {
    const victim = sampleInputs(scoring, 1, 21);
    const alone = await srv.call('Predict', { model: 'scoring-window', variant: 'VARIANT_FP32', cache: 'CACHE_POLICY_BYPASS', inputs: wireInputs(victim) });
    const poisoned = (v: number, seed: number): ReturnType<typeof sampleInputs> => {
      const p = sampleInputs(scoring, 2, seed);
      new Float32Array(p['features']!.data.buffer)[32 + 5] = v; // row 1, position 5
      return p;
    };
    const flood = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN].map((v, i) =>
      srv.call('Predict', { model: 'scoring-window', variant: 'VARIANT_FP32', inputs: wireInputs(poisoned(v, 30 + i)) }));
    const during = srv.call('Predict', { model: 'scoring-window', variant: 'VARIANT_FP32', inputs: wireInputs(victim) });
    const settled = await Promise.allSettled(flood);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason.code).toBe(status.INVALID_ARGUMENT);
      expect((s as PromiseRejectedResult).reason.details).toMatch(/^input "features" row 1 position 5 is (NaN|Infinity|-Infinity); non-finite values are refused/);
    }
    const got = await during;
    expect(responseFloats(got.outputs[0])).toEqual(responseFloats(alone.outputs[0]));
    const cached = await srv.call('Predict', { model: 'scoring-window', variant: 'VARIANT_FP32', inputs: wireInputs(victim) });
    expect(cached.cachedRows).toBe(1);
    expect(responseFloats(cached.outputs[0])).toEqual(responseFloats(alone.outputs[0]));
  });

  it.each(['VARIANT_FP32', 'VARIANT_INT8'])('an extreme batch-mate cannot change a victim\'s %s answer', async (variant) => {
    const victim = sampleInputs(scoring, 1, 41);
    const extreme = sampleInputs(scoring, 1, 42);
    new Float32Array(extreme['features']!.data.buffer).fill(1e4);
    const req = (inputs: ReturnType<typeof sampleInputs>): Promise<any> => srv.call('Predict', { model: 'scoring-window', variant, cache: 'CACHE_POLICY_BYPASS', inputs: wireInputs(inputs) });
    const alone = responseFloats((await req(victim)).outputs[0]);
    const [v, e] = await Promise.all([req(victim), req(extreme)]);
    expect(v.timing.batchSize).toBe(2); // they did share a batch
    expect(e.outputs[0]).toBeDefined();
    expect(maxRelDiff(responseFloats(v.outputs[0]), Float32Array.from(alone))).toBeLessThanOrEqual(1e-6);
  });
});
