/**
 * The server with a 3-master Redis Cluster as its L2 (real gRPC, real ONNX Runtime workers, real cluster):
 * one master is SIGKILLed in the middle of a 2,000-call run (4 rows a call) at 16 calls in flight. No prediction fails and
 * every answer equals ONNX Runtime's own; only cache hits are lost, and only those on the lost master: the
 * rows stored on the two surviving masters keep coming back from Redis. L1 is off so every hit is an L2 hit.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeRowKeys } from '../../src/cache/row-key.js';
import type { RedisStore } from '../../src/cache/redis-store.js';
import type { TwoTierCache } from '../../src/cache/two-tier-cache.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { sliceRows, type NamedTensors } from '../../src/tensor/tensor.js';
import { startRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js';
import { maxRelDiff, referenceRun, responseFloats, wireInputs } from '../helpers/reference.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const MODEL = 'lead-scoring';
const cfg = readModelConfig(path.resolve('models', MODEL, 'config.json'), MODEL);
const modelFile = path.resolve('models', MODEL, '1', 'model.onnx');
const prefix = `test:${randomUUID()}:`;

function rowsOf(inputs: NamedTensors, start: number, n: number): NamedTensors {
  return Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, sliceRows(t, start, n)]));
}

/** The Redis key the server stores a one-row FP32 request under (src/cache/row-key.ts). */
function redisKeyOf(inputs: NamedTensors): string {
  return prefix + computeRowKeys({ model: MODEL, version: '1', variant: 'fp32', outputs: ['probability'] }, inputs, 1)[0];
}

let cluster: TestRedisCluster;
let srv: TestServer;

beforeAll(async () => {
  cluster = await startRedisCluster();
  srv = await startTestServer({
    config: { redisUrl: cluster.url, 'cache.redisKeyPrefix': prefix, 'cache.l1MaxEntries': 0, 'cache.redisReadTimeoutMs': 1000, 'cache.breakerOpenMs': 250 },
  });
});

afterAll(async () => {
  await srv?.close();
  await cluster?.stop();
});

describe('prediction cache on a Redis Cluster in the server', () => {
  it('fails no prediction when one master is killed during a 2,000-call run, and keeps the hits of the surviving masters', async () => {
    // 1,000 groups of 4 distinct rows. A call asks for one group, so its rows' keys usually sit on different
    // masters (one lookup spans slots: no CROSSSLOT). The first 1,000 calls ask for each group once: all
    // miss and store their rows (the master is killed at call 500, so half are stored after the loss); the
    // next 1,000 revisit every group once.
    const groups = 1000;
    const width = 4;
    const pool = sampleInputs(cfg, groups * width, 6006);
    const ref = (await referenceRun(modelFile, pool))['probability']!;
    const lostPort = cluster.nodes[2]!.port;
    const owner = await cluster.slotOwners();
    const onLost = Array.from({ length: groups * width }, (_, row) => owner(calculateSlot(redisKeyOf(rowsOf(pool, row, 1)))) === lostPort);

    const total = 2000;
    const concurrency = 16;
    let next = 0;
    let done = 0;
    const failures: string[] = [];
    // Second pass (the revisits, all after the kill): calls and cached rows, by where the row's key lives.
    // Second pass (the revisits, all after the kill): rows, and rows answered from Redis, by where each key lives.
    const revisit = { lostRows: 0, survivingRows: 0, cached: 0, overCached: 0 };
    let killed: Promise<void> | undefined;
    const worker = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        const g = (i * 7919) % groups;
        try {
          const res = await srv.call('Predict', { model: MODEL, variant: 'VARIANT_FP32', inputs: wireInputs(rowsOf(pool, g * width, width)) }, { deadlineMs: 30_000 });
          if (maxRelDiff(responseFloats(res.outputs[0]), ref.subarray(g * width, (g + 1) * width)) >= 1e-4) failures.push(`call ${i}: wrong answer for group ${g}`);
          if (i >= groups) {
            const lost = onLost.slice(g * width, (g + 1) * width).filter(Boolean).length;
            revisit.lostRows += lost;
            revisit.survivingRows += width - lost;
            revisit.cached += res.cachedRows;
            // More cached rows than the call has on surviving masters: a row came back from the lost one.
            if (res.cachedRows > width - lost) revisit.overCached += 1;
          }
        } catch (e) {
          failures.push(`call ${i}: ${(e as Error).message}`);
        }
        done += 1;
        if (done === 500) killed = cluster.kill(2);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await killed;

    expect(failures).toEqual([]);
    expect(done).toBe(total);
    expect(revisit.lostRows + revisit.survivingRows).toBe(groups * width);
    // The lost master's share of the rows (about a third) is recomputed; none can come from Redis.
    expect(revisit.lostRows).toBeGreaterThan(groups * width * 0.2);
    expect(revisit.overCached).toBe(0);
    // The surviving masters' rows come back from Redis: the loss did not stop L2 as a whole.
    expect(revisit.cached / revisit.survivingRows).toBeGreaterThan(0.95);
    const l2 = (srv.app.cache as TwoTierCache).l2 as RedisStore;
    const breakers = l2.breakers();
    expect(breakers[`127.0.0.1:${lostPort}`]).not.toBe('closed');
    for (const n of cluster.nodes.slice(0, 2)) expect(breakers[`127.0.0.1:${n.port}`]).toBe('closed');
    const st = l2.stats();
    expect(st.errors + st.writeFailures + st.skipped).toBeGreaterThan(0); // the run really went through the loss
    // Recorded for the report: the L2 hit ratio of the revisits, on every row and on the surviving masters' rows.
    console.info(`cluster L2 after losing 1 of 3 masters: revisited rows cached ${revisit.cached}/${groups * width}; surviving masters' rows ${revisit.cached}/${revisit.survivingRows}; lost master's rows ${revisit.lostRows}; store ${JSON.stringify(st)}`);
  }, 180_000);
});
