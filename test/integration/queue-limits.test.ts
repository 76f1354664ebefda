import { describe, it, expect, afterEach } from 'vitest';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempRepo, type TempRepo } from '../helpers/model-repo.js';
import { wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { metrics } from '../../src/metrics/metrics.js';

const scoringCfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
const oneRow = (seed: number): Record<string, unknown>[] => wireInputs(sampleInputs(scoringCfg, 1, seed));

async function counter(name: keyof typeof metrics, labels: Record<string, string>): Promise<number> {
  const m = await (metrics[name] as { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }).get();
  return m.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((s, v) => s + v.value, 0);
}

describe('queue limits, deadlines and cancellation', () => {
  let srv: TestServer | undefined;
  let repo: TempRepo | undefined;
  afterEach(async () => { await srv?.close(); repo?.remove(); srv = undefined; repo = undefined; });

  it('a full queue returns RESOURCE_EXHAUSTED while queued requests still complete', async () => {
    repo = tempRepo();
    repo.addBundled('lead-scoring', { dynamicBatching: { maxQueueSize: 4, maxQueueDelayMs: 300, preferredBatchSizes: [] }, maxBatchSize: 256 }, 'slow-window');
    srv = await startTestServer({ config: { modelRepository: repo.root, batching: 'window' } });
    const calls = Array.from({ length: 10 }, (_, i) => srv!.call('Predict', { model: 'slow-window', inputs: oneRow(i), cache: 'CACHE_POLICY_BYPASS' })
      .then(() => 'ok', (e: { code: number; details: string }) => e));
    const results = await Promise.all(calls);
    const ok = results.filter((r) => r === 'ok');
    const full = results.filter((r): r is { code: number; details: string } => r !== 'ok');
    expect(ok).toHaveLength(4);
    expect(full).toHaveLength(6);
    for (const e of full) {
      expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
      expect(e.details).toMatch(/queue of slow-window\/1\/(fp32|int8) is full .*maxQueueSize 4/);
    }
  });

  it('a deadline shorter than the window returns DEADLINE_EXCEEDED and the expired request never runs', async () => {
    repo = tempRepo();
    repo.addBundled('lead-scoring', { dynamicBatching: { maxQueueDelayMs: 400, preferredBatchSizes: [] } }, 'long-window');
    srv = await startTestServer({ config: { modelRepository: repo.root, batching: 'window' } });
    const rowsBefore = await counter('inferenceRows', { model: 'long-window' });
    const droppedBefore = await counter('dropped', { model: 'long-window', reason: 'deadline' });
    const err = await srv.call('Predict', { model: 'long-window', inputs: oneRow(1), cache: 'CACHE_POLICY_BYPASS' }, { deadlineMs: 60 })
      .then(() => undefined, (e: { code: number }) => e);
    expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
    await new Promise((r) => setTimeout(r, 500)); // past the window: a request still queued would have run now
    expect(await counter('dropped', { model: 'long-window', reason: 'deadline' })).toBe(droppedBefore + 1);
    expect(await counter('inferenceRows', { model: 'long-window' })).toBe(rowsBefore);
    const ok = await srv.call('Predict', { model: 'long-window', inputs: oneRow(2), cache: 'CACHE_POLICY_BYPASS' });
    expect(Number(ok.timing.batchSize)).toBe(1);
    expect(await counter('inferenceRows', { model: 'long-window' })).toBe(rowsBefore + 1);
  });

  it('a cancelled call is dropped from the queue before it runs', async () => {
    repo = tempRepo();
    repo.addBundled('lead-scoring', { dynamicBatching: { maxQueueDelayMs: 400, preferredBatchSizes: [] } }, 'cancel-me');
    srv = await startTestServer({ config: { modelRepository: repo.root, batching: 'window' } });
    const rowsBefore = await counter('inferenceRows', { model: 'cancel-me' });
    const call = srv.client['predict']!({ model: 'cancel-me', inputs: oneRow(3) }, () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    call.cancel();
    await new Promise((r) => setTimeout(r, 500));
    expect(await counter('dropped', { model: 'cancel-me', reason: 'cancelled' })).toBe(1);
    expect(await counter('inferenceRows', { model: 'cancel-me' })).toBe(rowsBefore);
  });
});
