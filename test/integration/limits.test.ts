import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { receiveLimitFor } from '../../src/server/request-limits.js';

const names = ['lead-intent', 'lead-scoring', 'property-valuation'];
const configs = names.map((n) => readModelConfig(path.resolve('models', n, 'config.json'), n));
const scoring = configs[1]!;

type Failure = { code: number; details: string };
const failure = (p: Promise<unknown>): Promise<Failure> => p.then(() => { throw new Error('expected the call to fail'); }, (e: Failure) => e);

describe('limits at the server boundary', () => {
  let srv: TestServer;
  beforeAll(async () => { srv = await startTestServer(); });
  afterAll(async () => { await srv?.close(); });
  const good = (): Promise<any> => srv.call('Predict', { model: 'lead-scoring', inputs: wireInputs(sampleInputs(scoring, 1, 1)) });

  it('sizes the receive limit from the largest valid request, far below 64 MB, and refuses a larger message', async () => {
    const limit = receiveLimitFor(configs);
    expect(limit).toBeLessThan(4 * 1024 * 1024);
    // A valid request of the biggest model at maxBatchSize fits.
    const intent = configs[0]!;
    const full = await srv.call('Predict', { model: 'lead-intent', cache: 'CACHE_POLICY_BYPASS', inputs: wireInputs(sampleInputs(intent, intent.maxBatchSize, 3)) });
    expect(full.outputs[0].shape.map(Number)).toEqual([intent.maxBatchSize, 8]);
    const huge = { name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape: ['1', '32'], raw: Buffer.alloc(2 * limit) };
    const e = await failure(srv.call('Predict', { model: 'lead-scoring', inputs: [huge] }));
    expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
    expect((await good()).outputs[0].shape.map(Number)).toEqual([1, 1]);
  });

  it.each([
    ['model', { model: 'm'.repeat(300_000) }],
    ['version', { model: 'lead-scoring', version: '9'.repeat(100_000) }],
    ['request_id', { model: 'lead-scoring', requestId: 'r'.repeat(100_000) }],
    ['output name', { model: 'lead-scoring', outputs: ['o'.repeat(100_000)] }],
  ])('refuses an oversized %s with INVALID_ARGUMENT and a short message', async (field, fields) => {
    const e = await failure(srv.call('Predict', { inputs: wireInputs(sampleInputs(scoring, 1, 2)), ...fields }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toMatch(new RegExp(`^${field} is \\d+ characters; at most \\d+ are accepted$`));
    expect((await good()).outputs[0].shape.map(Number)).toEqual([1, 1]);
  });

  it('refuses an oversized model name in GetModelMetadata without echoing it', async () => {
    const e = await failure(srv.call('GetModelMetadata', { model: 'x'.repeat(300_000) }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details.length).toBeLessThan(200);
  });

  it('refuses a 1 MB model name at the receive limit, before it is decoded', async () => {
    const e = await failure(srv.call('Predict', { model: 'm'.repeat(1 << 20), inputs: wireInputs(sampleInputs(scoring, 1, 6)) }));
    expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(e.details.length).toBeLessThan(200);
    expect((await good()).outputs[0].shape.map(Number)).toEqual([1, 1]);
  });

  it.each([
    ['cache policy', { cache: 7 }, /unknown cache policy 7/],
    ['variant', { variant: 9 }, /unknown variant 9/],
  ])('refuses an unknown %s enum value with INVALID_ARGUMENT', async (_what, fields, message) => {
    const e = await failure(srv.call('Predict', { model: 'lead-scoring', inputs: wireInputs(sampleInputs(scoring, 1, 4)), ...fields }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toMatch(message);
  });

  it('refuses a 100,000-dim shape with a short INVALID_ARGUMENT, and the same connection keeps serving', async () => {
    const [t] = wireInputs(sampleInputs(scoring, 1, 6)) as Record<string, unknown>[];
    const e = await failure(srv.call('Predict', { model: 'lead-scoring', inputs: [{ ...t, shape: Array.from({ length: 100_000 }, () => '1') }] }, { deadlineMs: 10_000 }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toBe('input "features": shape has 100000 dims; at most 16 are accepted');
    const ok = await srv.call('Predict', { model: 'lead-scoring', inputs: wireInputs(sampleInputs(scoring, 1, 7)) });
    expect(ok.outputs[0].shape).toEqual(['1', '1']);
  });

  it('refuses an unknown dtype enum value with INVALID_ARGUMENT', async () => {
    const [t] = wireInputs(sampleInputs(scoring, 1, 5)) as Record<string, unknown>[];
    const e = await failure(srv.call('Predict', { model: 'lead-scoring', inputs: [{ ...t, dtype: 42 }] }));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.details).toMatch(/dtype 42 is not supported/);
  });
});
