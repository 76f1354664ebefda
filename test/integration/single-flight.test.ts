import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempRepo, type TempRepo } from '../helpers/model-repo.js';
import { referenceRun, maxRelDiff, responseFloats, wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { metrics } from '../../src/metrics/metrics.js';

const cfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
const MODEL = 'sf-scoring';

async function computed(): Promise<number> {
  return (await metrics.inferenceRows.get()).values.filter((v) => v.labels['model'] === MODEL).reduce((a, v) => a + v.value, 0);
}

describe('single-flight', () => {
  let srv: TestServer;
  let repo: TempRepo;
  beforeAll(async () => {
    repo = tempRepo();
    // A fixed 150 ms window keeps the first request queued while its twins arrive.
    repo.addBundled('lead-scoring', { dynamicBatching: { maxQueueDelayMs: 150, preferredBatchSizes: [] } }, MODEL);
    srv = await startTestServer({ config: { modelRepository: repo.root, batching: 'window' } });
  });
  afterAll(async () => { await srv?.close(); repo?.remove(); });

  it('computes identical in-flight rows once and answers every caller', async () => {
    const inputs = sampleInputs(cfg, 1, 77);
    const before = await computed();
    const calls = Array.from({ length: 5 }, () => srv.call('Predict', { model: MODEL, variant: 'VARIANT_FP32', inputs: wireInputs(inputs) }));
    const results = await Promise.all(calls);
    expect(await computed()).toBe(before + 1);
    const ref = await referenceRun(path.resolve('models/lead-scoring/1/model.onnx'), inputs);
    for (const r of results) expect(maxRelDiff(responseFloats(r.outputs[0]), ref['probability']!)).toBeLessThan(1e-4);
    expect(results.every((r) => r.cachedRows === 0)).toBe(true); // shared in flight, not served from the cache
  });

  it('computes a row repeated inside one request once', async () => {
    const one = sampleInputs(cfg, 1, 78)['features']!;
    const twice = { features: { dtype: one.dtype, shape: [3, 32], data: Buffer.concat([one.data, one.data, one.data]) } };
    const before = await computed();
    const r = await srv.call('Predict', { model: MODEL, inputs: wireInputs(twice) });
    expect(await computed()).toBe(before + 1);
    const v = responseFloats(r.outputs[0]);
    expect(v.length).toBe(3);
    expect(v[0]).toBe(v[1]);
    expect(v[1]).toBe(v[2]);
  });

  it('answers a follower with a long deadline when the leader of its shared row times out', async () => {
    const inputs = sampleInputs(cfg, 1, 79);
    const before = await computed();
    // The row waits out the 150 ms window; the leader's 60 ms deadline passes first.
    const leader = srv.call('Predict', { model: MODEL, variant: 'VARIANT_FP32', inputs: wireInputs(inputs) }, { deadlineMs: 60 });
    await new Promise((r) => setTimeout(r, 10));
    const follower = srv.call('Predict', { model: MODEL, variant: 'VARIANT_FP32', inputs: wireInputs(inputs) }, { deadlineMs: 30_000 });
    const [l, f] = await Promise.allSettled([leader, follower]);
    expect(l.status === 'rejected' && l.reason.code).toBe(status.DEADLINE_EXCEEDED);
    expect(f.status).toBe('fulfilled');
    const ref = await referenceRun(path.resolve('models/lead-scoring/1/model.onnx'), inputs);
    expect(maxRelDiff(responseFloats((f as PromiseFulfilledResult<any>).value.outputs[0]), ref['probability']!)).toBeLessThan(1e-4);
    expect(await computed()).toBe(before + 1);
  });

  it('never runs a shared row once every waiter has gone', async () => {
    const inputs = sampleInputs(cfg, 1, 80);
    const before = await computed();
    const calls = [40, 60].map((ms) => srv.call('Predict', { model: MODEL, variant: 'VARIANT_FP32', inputs: wireInputs(inputs) }, { deadlineMs: ms }));
    const settled = await Promise.allSettled(calls);
    expect(settled.every((s) => s.status === 'rejected' && s.reason.code === status.DEADLINE_EXCEEDED)).toBe(true);
    await new Promise((r) => setTimeout(r, 250)); // past the window: the batch would have run by now
    expect(await computed()).toBe(before);
  });
});
