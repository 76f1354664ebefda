import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempRepo, type TempRepo } from '../helpers/model-repo.js';
import { maxRelDiff, referenceRun, responseFloats, wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';

const cfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');

describe('one bad request never costs the others in its batch', () => {
  let srv: TestServer;
  let repo: TempRepo;
  beforeAll(async () => {
    repo = tempRepo();
    // A fixed 100 ms window makes sure the bad request and the good ones share one engine batch.
    repo.addBundled('lead-intent', { dynamicBatching: { maxQueueDelayMs: 100 }, preload: { priority: 100 } }, 'intent-window');
    srv = await startTestServer({ config: { modelRepository: repo.root, batching: 'window', preloadTop: 1 } });
  });
  afterAll(async () => { await srv?.close(); repo?.remove(); });

  it('a token id outside the vocabulary fails only its own call; batch-mates get correct answers', async () => {
    const good = [1, 2, 3].map((seed) => sampleInputs(cfg, 1, seed));
    const badInputs = sampleInputs(cfg, 1, 9);
    new BigInt64Array(badInputs['input_ids']!.data.buffer)[3] = 999_999n; // vocabulary is 8192
    const call = (inputs: typeof badInputs): Promise<any> => srv.call('Predict', { model: 'intent-window', variant: 'VARIANT_FP32', cache: 'CACHE_POLICY_BYPASS', inputs: wireInputs(inputs) });
    const results = await Promise.allSettled([call(good[0]!), call(badInputs), call(good[1]!), call(good[2]!)]);
    const bad = results[1]!;
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason.code).toBe(status.INTERNAL);
    expect((bad as PromiseRejectedResult).reason.details).toMatch(/ONNX Runtime failed to run intent-window\/1\/fp32: .*999999/);
    for (const [i, r] of [results[0], results[2], results[3]].entries()) {
      expect(r!.status).toBe('fulfilled');
      const ref = await referenceRun(path.resolve('models/lead-intent/1/model.onnx'), good[i]!);
      expect(maxRelDiff(responseFloats((r as PromiseFulfilledResult<any>).value.outputs[0]), ref['logits']!)).toBeLessThan(1e-3);
    }
    // The server keeps serving.
    const next = await call(good[0]!);
    expect(next.outputs[0].shape.map(Number)).toEqual([1, 8]);
  });
});
