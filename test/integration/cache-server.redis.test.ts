/**
 * The prediction cache seen through the real server: real gRPC, real ONNX Runtime workers, real Redis.
 * Repeated rows come back from the cache with the model's own answers, a half-cached request computes only
 * its missing rows, a second server PROCESS (node dist/src/main.js) reuses rows the first one computed,
 * and killing Redis in the middle of a 2,000-call run fails no prediction.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '../../src/metrics/metrics.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { sliceRows, type NamedTensors } from '../../src/tensor/tensor.js';
import { computeRowKeys } from '../../src/cache/row-key.js';
import type { TwoTierCache } from '../../src/cache/two-tier-cache.js';
import { spawnServer } from '../helpers/child-server.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { maxRelDiff, referenceRun, responseFloats, wireInputs } from '../helpers/reference.js';
import { callUnary, createRawClient, startTestServer, type TestServer } from '../helpers/test-server.js';

const MODEL = 'lead-scoring';
const cfg = readModelConfig(path.resolve('models', MODEL, 'config.json'), MODEL);
const modelFile = path.resolve('models', MODEL, '1', 'model.onnx');

function rowsOf(inputs: NamedTensors, start: number, n: number): NamedTensors {
  return Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, sliceRows(t, start, n)]));
}

/** Rows the engine has computed for the model in this process (the in-process server shares the registry). */
async function computedRows(): Promise<number> {
  return (await metrics.inferenceRows.get()).values.filter((v) => v.labels['model'] === MODEL).reduce((a, v) => a + v.value, 0);
}

const predict = (inputs: NamedTensors): Record<string, unknown> => ({ model: MODEL, variant: 'VARIANT_FP32', inputs: wireInputs(inputs) });

let redis: TestRedis;
let raw: Redis;
let srv: TestServer;
const prefix = `test:${randomUUID()}:`;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  raw.on('error', () => undefined); // the fault test kills the server under this client too
  srv = await startTestServer({ config: { redisUrl: redis.url, 'cache.redisKeyPrefix': prefix, 'cache.breakerOpenMs': 250 } });
});

afterAll(async () => {
  await srv?.close();
  raw?.disconnect();
  await redis?.stop();
});

describe('prediction cache in the server', () => {
  it('never serves a value copied into another row\'s Redis key: it is a miss, the row is computed, the forged value replaced', async () => {
    const [a, b] = [sampleInputs(cfg, 1, 7001), sampleInputs(cfg, 1, 7002)];
    const keyOf = (inputs: NamedTensors): string => prefix + computeRowKeys({ model: MODEL, version: '1', variant: 'fp32', outputs: ['probability'] }, inputs, 1)[0];
    await srv.call('Predict', predict(a));
    await (srv.app.cache as TwoTierCache).flush();
    const stolen = await raw.getBuffer(keyOf(a));
    expect(stolen).not.toBeNull();
    await raw.set(keyOf(b), stolen!); // a well-formed value, under the wrong key
    // A fresh server process has only Redis (no L1 copy of anything) to answer from.
    const other = await startTestServer({ config: { redisUrl: redis.url, 'cache.redisKeyPrefix': prefix } });
    try {
      const before = await computedRows();
      const got = await other.call('Predict', predict(b));
      expect(got.cachedRows).toBe(0);
      expect(await computedRows()).toBe(before + 1);
      const ref = await referenceRun(modelFile, b);
      expect(maxRelDiff(responseFloats(got.outputs[0]), ref['probability']!)).toBeLessThan(1e-5);
      await (other.app.cache as TwoTierCache).flush();
      const now = await raw.getBuffer(keyOf(b));
      expect(now === null || Buffer.compare(now, stolen!) !== 0).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('answers a second identical Predict from the cache with the same outputs', async () => {
    const inputs = sampleInputs(cfg, 3, 1001);
    const first = await srv.call('Predict', predict(inputs));
    const second = await srv.call('Predict', predict(inputs));
    expect(first.cachedRows).toBe(0);
    expect(second.cachedRows).toBe(3);
    expect(Buffer.compare(second.outputs[0].raw, first.outputs[0].raw)).toBe(0);
    const ref = await referenceRun(modelFile, inputs);
    expect(maxRelDiff(responseFloats(second.outputs[0]), ref['probability']!)).toBeLessThan(1e-4);
  });

  it('computes only the missing rows of a half-cached request and returns every row in order', async () => {
    const inputs = sampleInputs(cfg, 4, 2002);
    const warm = await srv.call('Predict', predict(rowsOf(inputs, 0, 2)));
    expect(warm.cachedRows).toBe(0);
    const computedBefore = await computedRows();
    const mixed = await srv.call('Predict', predict(inputs));
    expect(mixed.cachedRows).toBe(2);
    expect(await computedRows()).toBe(computedBefore + 2);
    const ref = await referenceRun(modelFile, inputs);
    expect(maxRelDiff(responseFloats(mixed.outputs[0]), ref['probability']!)).toBeLessThan(1e-4);
  });

  it('bypass neither reads nor counts cached rows; refresh recomputes', async () => {
    const inputs = sampleInputs(cfg, 2, 3003);
    await srv.call('Predict', predict(inputs));
    expect((await srv.call('Predict', { ...predict(inputs), cache: 'CACHE_POLICY_BYPASS' })).cachedRows).toBe(0);
    expect((await srv.call('Predict', { ...predict(inputs), cache: 'CACHE_POLICY_REFRESH' })).cachedRows).toBe(0);
    expect((await srv.call('Predict', predict(inputs))).cachedRows).toBe(2);
  });

  // The child process logs at info: the harness waits for its "serving" line.
  it('lets a second server process reuse rows the first one computed, through Redis', async () => {
    const inputs = sampleInputs(cfg, 5, 4004);
    const keysBefore = (await raw.keys(`${prefix}${MODEL}:*`)).length;
    const first = await srv.call('Predict', predict(inputs));
    expect(first.cachedRows).toBe(0);
    // Writes to Redis are asynchronous: wait until the five rows are there before asking the other process.
    const end = Date.now() + 10_000;
    while (Date.now() < end && (await raw.keys(`${prefix}${MODEL}:*`)).length < keysBefore + 5) await new Promise((r) => setTimeout(r, 20));
    const other = await spawnServer({
      HUB_MODEL_REPOSITORY: 'models', HUB_WORKERS: '1', HUB_PRELOAD_TOP: '1', HUB_LOG_LEVEL: 'info',
      REDIS_URL: redis.url, HUB_REDIS_KEY_PREFIX: prefix, HUB_REDIS_READ_TIMEOUT_MS: '1000',
    });
    const client = createRawClient(other.address);
    try {
      const second = await callUnary(client, 'Predict', predict(inputs));
      expect(second.cachedRows).toBe(5);
      expect(Buffer.compare(second.outputs[0].raw, first.outputs[0].raw)).toBe(0);
    } finally {
      client.close();
      await other.stop();
    }
  }, 180_000);

  it.skipIf(process.env['REDIS_URL'])('fails no prediction when Redis is killed and restarted during a 2,000-call run', async () => {
    // 1,000 distinct rows: the first 1,000 calls all miss (so Redis is in use when it is killed at call 500), the
    // next 1,000 revisit them (so some answers come from the cache).
    const distinct = 1000;
    const pool = sampleInputs(cfg, distinct, 5005);
    const ref = (await referenceRun(modelFile, pool))['probability']!;
    const total = 2000;
    const concurrency = 16;
    let next = 0;
    let done = 0;
    const failures: string[] = [];
    let cached = 0;
    let killed: Promise<void> | undefined;
    let restarted: Promise<void> | undefined;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        const row = (i * 7919) % distinct;
        try {
          const res = await srv.call('Predict', predict(rowsOf(pool, row, 1)), { deadlineMs: 30_000 });
          cached += res.cachedRows;
          if (maxRelDiff(responseFloats(res.outputs[0]), ref.subarray(row, row + 1)) >= 1e-4) failures.push(`call ${i}: wrong answer for row ${row}`);
        } catch (e) {
          failures.push(`call ${i}: ${(e as Error).message}`);
        }
        done += 1;
        if (done === 500) killed = redis.stop();
        if (done === 1500) restarted = (async () => { await killed; await redis.restart(); })();
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await restarted;
    expect(failures).toEqual([]);
    expect(done).toBe(total);
    expect(cached).toBeGreaterThan(0);
    // The run really went through an outage: the Redis tier saw failures or skipped lookups.
    const l2 = srv.app.cache!.stats!().l2.store!;
    expect((l2['unavailable'] ?? 0) + (l2['timeouts'] ?? 0) + (l2['errors'] ?? 0) + (l2['writeFailures'] ?? 0)).toBeGreaterThan(0);
  }, 180_000);
});
