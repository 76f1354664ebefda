import { afterEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { InferenceClient, InferenceClientError } from '../../../src/client/index.js';
import { deadAddress, startFakeServer, until, type FakeServer } from './fake-inference-server.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f(); });

async function fake(...args: Parameters<typeof startFakeServer>): Promise<FakeServer> {
  const s = await startFakeServer(...args);
  cleanup.push(() => s.close());
  return s;
}
function client(opts: ConstructorParameters<typeof InferenceClient>[0]): InferenceClient {
  const c = new InferenceClient(opts);
  cleanup.push(() => c.close());
  return c;
}
const features = { data: new Float32Array([0.5, -1.25, 3, 4]), shape: [2, 2] };
async function rejection(p: Promise<unknown>): Promise<InferenceClientError> {
  const e = await p.then(() => { throw new Error('expected a rejection'); }, (err: unknown) => err);
  expect(e).toBeInstanceOf(InferenceClientError);
  return e as InferenceClientError;
}

describe('InferenceClient predict encoding', () => {
  it('sends typed arrays as raw tensors and decodes every dtype back to equal typed arrays', async () => {
    const s = await fake();
    const c = client({ targets: s.address });
    const inputs = {
      f32: { data: new Float32Array([1.5, -2, 3.25, 0]), shape: [2, 2] },
      i64: { data: BigInt64Array.from([1n, -2n, 9007199254740993n]), shape: [3, 1] },
      i32: new Int32Array([7, -8, 9]),
      u8: { data: new Uint8Array([0, 255, 3, 4]), shape: [1, 4] },
      flags: { data: new Uint8Array([1, 0]), shape: [2], dtype: 'bool' as const },
      half: { data: new Uint16Array([0x3c00, 0xc000]), shape: [1, 2] },
      list: { data: [1, 2, 3, 4, 5, 6], shape: [2, 3] },
    };
    const res = await c.predict({ model: 'm', inputs, requestId: 'req-1' });
    const sent = s.calls[0]!.request.inputs as any[];
    expect(sent.every((t) => t.raw.length > 0 && t.floatData.length === 0)).toBe(true);
    expect(res.outputs['f32']).toEqual({ dtype: 'float32', shape: [2, 2], data: inputs.f32.data });
    expect(res.outputs['i64']).toEqual({ dtype: 'int64', shape: [3, 1], data: inputs.i64.data });
    expect(res.outputs['i32']).toEqual({ dtype: 'int32', shape: [1, 3], data: inputs.i32 });
    expect(res.outputs['u8']).toEqual({ dtype: 'uint8', shape: [1, 4], data: inputs.u8.data });
    expect(res.outputs['flags']).toEqual({ dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) });
    expect(res.outputs['half']).toEqual({ dtype: 'float16', shape: [1, 2], data: inputs.half.data });
    expect(res.outputs['list']).toEqual({ dtype: 'float32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    expect(res).toMatchObject({ model: 'm', version: '7', variant: 'int8', cachedRows: 1, requestId: 'req-1', timing: { queueUs: 12, computeUs: 34, batchSize: 5, totalUs: 56 } });
  });

  it('decodes typed repeated fields when typedOutputs is asked for, int64 exactly', async () => {
    const s = await fake();
    const c = client({ targets: s.address });
    const big = BigInt64Array.from([9007199254740993n, -5n]);
    const res = await c.predict({ model: 'm', typedOutputs: true, inputs: { f: features, i: { data: big, shape: [2, 1] }, b: { data: new Uint8Array([0, 1]), shape: [2, 1], dtype: 'bool' } } });
    expect(s.calls[0]!.request.typedOutputs).toBe(true);
    expect(res.outputs['f']!.data).toEqual(features.data);
    expect(res.outputs['i']!.data).toEqual(big);
    expect(res.outputs['b']).toEqual({ dtype: 'bool', shape: [2, 1], data: new Uint8Array([0, 1]) });
  });

  it('sends variant, version, cache policy and requested outputs as the proto enums', async () => {
    const s = await fake();
    const c = client({ targets: s.address });
    const res = await c.predict({ model: 'm', version: '3', variant: 'fp32', cache: 'refresh', outputs: ['f'], inputs: { f: features, g: features } });
    expect(s.calls[0]!.request).toMatchObject({ model: 'm', version: '3', variant: 'VARIANT_FP32', cache: 'CACHE_POLICY_REFRESH', outputs: ['f'] });
    expect(Object.keys(res.outputs)).toEqual(['f']);
    expect(res.variant).toBe('fp32');
  });

  it('rejects a shape that does not match the data without calling the server', async () => {
    const s = await fake();
    const c = client({ targets: s.address });
    const e = await rejection(c.predict({ model: 'm', inputs: { f: { data: new Float32Array(5), shape: [2, 2] } } }));
    expect(e.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e.origin).toBe('client');
    expect(e.details).toContain('input "f"');
    const e2 = await rejection(c.predict({ model: 'm', inputs: { f: { data: new Float32Array(4), shape: [2, 2], dtype: 'int64' } } }));
    expect(e2.details).toContain('BigInt64Array');
    expect(s.calls).toHaveLength(0);
  });
});

describe('InferenceClient metadata and admin calls', () => {
  it('maps ListModels and GetModelMetadata to plain objects with numeric shapes', async () => {
    const s = await fake();
    const c = client({ targets: s.address });
    expect(await c.listModels()).toEqual([{ name: 'm', versions: ['1', '2'], latestVersion: '2', ready: true, variants: ['fp32', 'int8'], state: 'READY', error: '' }]);
    const md = await c.getModelMetadata('lead-scoring');
    expect(md.inputs).toEqual([{ name: 'features', dtype: 'float32', shape: [-1, 32] }]);
    expect(md).toMatchObject({ name: 'lead-scoring', version: '2', defaultVariant: 'auto', maxBatchSize: 64, executionProvider: 'cpu' });
  });

  it('sends the admin token as authorization: Bearer metadata on load and unload', async () => {
    const s = await fake();
    const c = client({ targets: s.address });
    expect(await c.loadModel('m', '1', { adminToken: 'secret-token' })).toEqual({ model: 'm', version: '1', ready: true });
    await c.unloadModel('m', undefined, { adminToken: 'secret-token' });
    expect(s.calls.map((k) => [k.method, k.metadata.get('authorization')[0]])).toEqual([['LoadModel', 'Bearer secret-token'], ['UnloadModel', 'Bearer secret-token']]);
  });
});

describe('InferenceClient balancing and limits', () => {
  it('spreads calls round-robin over replicas', async () => {
    const a = await fake();
    const b = await fake();
    const c = client({ targets: [a.address, b.address] });
    for (let i = 0; i < 6; i++) await c.predict({ model: 'm', inputs: { f: features } });
    expect([a.calls.length, b.calls.length]).toEqual([3, 3]);
  });

  it('opens channelsPerTarget separate connections to one replica', async () => {
    const s = await fake();
    const c = client({ targets: s.address, channelsPerTarget: 3 });
    for (let i = 0; i < 6; i++) await c.predict({ model: 'm', inputs: { f: features } });
    expect(new Set(s.calls.map((k) => k.peer)).size).toBe(3);
  });

  it('never has more than maxInFlightPerTarget calls open on a replica; the rest wait in order', async () => {
    const s = await fake(() => ({ kind: 'hold' }));
    const c = client({ targets: s.address, maxInFlightPerTarget: 2 });
    const pending = Array.from({ length: 5 }, (_, i) => c.predict({ model: 'm', requestId: `r${i}`, inputs: { f: features } }));
    await until(() => s.held.length === 2, 'two held calls');
    await new Promise((r) => setTimeout(r, 50)); // give a wrongly admitted third call the chance to arrive
    expect(s.calls).toHaveLength(2);
    expect(c.load()).toEqual([{ target: s.address, inFlight: 2, queued: 3 }]);
    while (s.calls.length < 5 || s.held.length > 0) {
      s.releaseAll();
      await new Promise((r) => setTimeout(r, 5));
    }
    const results = await Promise.all(pending);
    expect(results.map((r) => r.requestId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(s.maxConcurrent).toBe(2);
    expect(s.calls.map((k) => k.request.requestId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('fails fast with RESOURCE_EXHAUSTED when the bounded client queue is full', async () => {
    const s = await fake(() => ({ kind: 'hold' }));
    const c = client({ targets: s.address, maxInFlightPerTarget: 1, maxQueuedPerTarget: 1 });
    const first = c.predict({ model: 'm', inputs: { f: features } });
    const second = c.predict({ model: 'm', inputs: { f: features } });
    const e = await rejection(c.predict({ model: 'm', inputs: { f: features } }));
    expect(e.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(e.origin).toBe('client');
    await until(() => s.held.length === 1, 'first call held');
    s.releaseAll();
    await first;
    await until(() => s.held.length === 1, 'second call held');
    s.releaseAll();
    await second;
  });

  it('rejects queued calls with CANCELLED when the client closes', async () => {
    const s = await fake(() => ({ kind: 'hold' }));
    const c = new InferenceClient({ targets: s.address, maxInFlightPerTarget: 1 });
    const first = c.predict({ model: 'm', inputs: { f: features } }).catch((e: unknown) => e);
    const queued = c.predict({ model: 'm', inputs: { f: features } });
    await until(() => s.held.length === 1, 'first call held');
    c.close();
    expect((await rejection(queued)).code).toBe(grpc.status.CANCELLED);
    expect(((await first) as InferenceClientError).code).toBe(grpc.status.CANCELLED);
  });
});

describe('InferenceClient deadlines, cancellation and retries', () => {
  it('puts a deadline on every call: a call the server never answers ends DEADLINE_EXCEEDED', async () => {
    const s = await fake(() => ({ kind: 'hold' }));
    const c = client({ targets: s.address, deadlineMs: 150 });
    const e = await rejection(c.predict({ model: 'm', inputs: { f: features } }));
    expect(e.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(e.attempts).toBe(1);
  });

  it('counts time waiting in the client queue against the deadline', async () => {
    const s = await fake(() => ({ kind: 'hold' }));
    const c = client({ targets: s.address, maxInFlightPerTarget: 1, deadlineMs: 5000 });
    const first = c.predict({ model: 'm', inputs: { f: features } }).catch((e: unknown) => e);
    const e = await rejection(c.predict({ model: 'm', deadlineMs: 100, inputs: { f: features } }));
    expect(e.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(e.origin).toBe('client');
    expect(s.calls).toHaveLength(1);
    s.releaseAll();
    await first;
  });

  it('cancels an in-flight call when its AbortSignal aborts', async () => {
    const s = await fake(() => ({ kind: 'hold' }));
    const c = client({ targets: s.address });
    const ac = new AbortController();
    const p = c.predict({ model: 'm', inputs: { f: features }, signal: ac.signal });
    await until(() => s.held.length === 1, 'call held');
    ac.abort();
    expect((await rejection(p)).code).toBe(grpc.status.CANCELLED);
  });

  it('retries UNAVAILABLE with backoff until a later attempt succeeds', async () => {
    const s = await fake((n) => (n <= 2 ? { kind: 'fail', code: grpc.status.UNAVAILABLE, details: 'model loading', hubCode: 'MODEL_NOT_READY' } : { kind: 'echo' }));
    const c = client({ targets: s.address, retries: { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 20 } });
    const res = await c.predict({ model: 'm', inputs: { f: features } });
    expect(res.outputs['f']!.data).toEqual(features.data);
    expect(s.calls).toHaveLength(3);
  });

  it('gives up after maxAttempts and reports the status, details and hub error code', async () => {
    const s = await fake(() => ({ kind: 'fail', code: grpc.status.UNAVAILABLE, details: 'server is shutting down', hubCode: 'SHUTTING_DOWN' }));
    const c = client({ targets: s.address, retries: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 4 } });
    const e = await rejection(c.predict({ model: 'm', inputs: { f: features } }));
    expect(e).toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'server is shutting down', hubCode: 'SHUTTING_DOWN', attempts: 3, origin: 'server', target: s.address });
    expect(s.calls).toHaveLength(3);
  });

  it('does not retry other errors, and carries hub-error-code from the trailers', async () => {
    const s = await fake(() => ({ kind: 'fail', code: grpc.status.INVALID_ARGUMENT, details: 'input "features": expected float32 [-1, 32]', hubCode: 'INVALID_INPUT' }));
    const c = client({ targets: s.address });
    const e = await rejection(c.predict({ model: 'm', inputs: { f: features } }));
    expect(e).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, hubCode: 'INVALID_INPUT', attempts: 1 });
    expect(e.details).toContain('expected float32');
    expect(s.calls).toHaveLength(1);
  });

  it('fails over to another replica when one is down', async () => {
    const dead = await deadAddress();
    const live = await fake();
    const c = client({ targets: [dead, live.address], retries: { maxAttempts: 2, initialBackoffMs: 1, maxBackoffMs: 2 } });
    for (let i = 0; i < 4; i++) await c.predict({ model: 'm', inputs: { f: features } });
    expect(live.calls).toHaveLength(4);
  });
});
