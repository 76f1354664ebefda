import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { runOpenLoop } from '../../bench/load/open-loop.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { metrics } from '../../src/metrics/metrics.js';

const intent = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
const scoring = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');

async function counter(name: 'inferenceRows' | 'wastedRows', model: string): Promise<number> {
  return (await metrics[name].get()).values.filter((v) => v.labels['model'] === model).reduce((s, v) => s + v.value, 0);
}

/**
 * A bounded version of the overload bench (`npm run bench -- overload`): lead-intent flooded far past what
 * two workers compute, every call with a 1 s deadline, while a light lead-scoring stream keeps calling.
 */
describe('overload: a flood is refused at once, never computed for callers who left, and never starves another model', () => {
  let srv: TestServer;
  beforeAll(async () => { srv = await startTestServer({ config: { batching: 'adaptive' } }); });
  afterAll(async () => { await srv?.close(); });

  it('refuses what it cannot answer in time, wastes no rows, stops computing when the flood stops, and keeps the other model answering', async () => {
    const rowsBefore = await counter('inferenceRows', 'lead-intent');
    const wastedBefore = await counter('wastedRows', 'lead-intent');
    // ~80 calls/s x 64 rows is several times what two workers compute on this kind of machine.
    const records = await runOpenLoop(srv.address, [
      { name: 'flood', model: intent, rowsPerCall: 64, callsPerSecond: 80, deadlineMs: 1000 },
      { name: 'probe', model: scoring, rowsPerCall: 1, callsPerSecond: 20, deadlineMs: 2000 },
    ], 3000);
    const flood = records.filter((r) => r.stream === 'flood');
    const probe = records.filter((r) => r.stream === 'probe');
    const refused = flood.filter((r) => r.code === status.RESOURCE_EXHAUSTED);
    const ok = flood.filter((r) => r.code === status.OK);
    const late = flood.filter((r) => r.code === status.DEADLINE_EXCEEDED);
    expect(ok.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(flood.length / 4);
    expect(refused.every((r) => r.hubCode === 'OVERLOADED' || r.hubCode === 'QUEUE_FULL')).toBe(true);
    // Refused at once: a refusal that had waited for its deadline would be a DEADLINE_EXCEEDED instead.
    expect(late.length, `flood ${flood.length}: ok ${ok.length}, refused ${refused.length}, late ${late.length}`).toBeLessThan(flood.length / 4); // (before admission control: none refused, most late)
    expect(probe.every((r) => r.code === status.OK)).toBe(true);
    // All calls have settled (runOpenLoop waited for them): nothing is left running for callers who left.
    const settled = await counter('inferenceRows', 'lead-intent');
    await new Promise((r) => setTimeout(r, 600));
    expect(await counter('inferenceRows', 'lead-intent')).toBe(settled);
    expect(settled - rowsBefore).toBeGreaterThan(0);
    expect(await counter('wastedRows', 'lead-intent') - wastedBefore).toBeLessThanOrEqual(64);
  });
});
