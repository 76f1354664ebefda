/**
 * The client SDK against real hub-inference servers: real gRPC, worker threads, ONNX Runtime and the
 * bundled models. One replica runs in this process, a second as a child process (its own metrics).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { InferenceClient, InferenceClientError, type TensorInput } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { spawnServer, type ChildServer } from '../helpers/child-server.js';
import { maxRelDiff, referenceRun } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import type { HostTensor, NamedTensors } from '../../src/tensor/tensor.js';

const ADMIN_TOKEN = 'client-test-admin-token';
const cfg = (m: string) => readModelConfig(path.resolve('models', m, 'config.json'), m);
const modelFile = (m: string): string => path.resolve('models', m, '1', 'model.onnx');

/** HostTensor (LE bytes) -> SDK input with a typed array of the right class. */
function sdkTensor(t: HostTensor): TensorInput {
  const bytes = new Uint8Array(t.data).buffer;
  if (t.dtype === 'float32') return { data: new Float32Array(bytes), shape: t.shape };
  if (t.dtype === 'int64') return { data: new BigInt64Array(bytes), shape: t.shape };
  throw new Error(`unexpected dtype ${t.dtype}`);
}
const sdkInputs = (inputs: NamedTensors): Record<string, TensorInput> => Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, sdkTensor(t)]));

async function rejection(p: Promise<unknown>): Promise<InferenceClientError> {
  const e = await p.then(() => { throw new Error('expected a rejection'); }, (err: unknown) => err);
  expect(e).toBeInstanceOf(InferenceClientError);
  return e as InferenceClientError;
}

describe('client SDK against a real server', () => {
  let srv: TestServer;
  let client: InferenceClient;
  beforeAll(async () => {
    srv = await startTestServer({ config: { workers: 1, adminToken: ADMIN_TOKEN } });
    client = new InferenceClient({ targets: srv.address });
  });
  afterAll(async () => {
    client?.close();
    await srv?.close();
  });

  for (const model of ['lead-scoring', 'lead-intent']) {
    it(`${model}: predict answers what an in-process ONNX Runtime run computes`, async () => {
      const inputs = sampleInputs(cfg(model), 5, 7);
      const res = await client.predict({ model, variant: 'fp32', cache: 'bypass', inputs: sdkInputs(inputs), requestId: `sdk-${model}` });
      const ref = await referenceRun(modelFile(model), inputs);
      expect(res).toMatchObject({ model, version: '1', variant: 'fp32', requestId: `sdk-${model}`, cachedRows: 0 });
      for (const spec of cfg(model).outputs) {
        const out = res.outputs[spec.name]!;
        expect(out.dtype).toBe('float32');
        expect(out.shape).toEqual([5, ...spec.shape.slice(1)]);
        expect(maxRelDiff(out.data as Float32Array, ref[spec.name]!)).toBeLessThan(1e-4);
      }
      expect(res.timing.batchSize).toBeGreaterThanOrEqual(1);
      expect(res.timing.totalUs).toBeGreaterThan(0);
    });
  }

  it('decodes typed outputs to the same values as raw outputs', async () => {
    const inputs = sdkInputs(sampleInputs(cfg('property-valuation'), 3, 11));
    const raw = await client.predict({ model: 'property-valuation', variant: 'fp32', inputs });
    const typed = await client.predict({ model: 'property-valuation', variant: 'fp32', inputs, typedOutputs: true, cache: 'bypass' });
    expect(typed.outputs['value']).toEqual(raw.outputs['value']);
  });

  it('answers repeated rows from the cache and reports cachedRows', async () => {
    const inputs = sdkInputs(sampleInputs(cfg('lead-scoring'), 4, 12345));
    await client.predict({ model: 'lead-scoring', inputs });
    const again = await client.predict({ model: 'lead-scoring', inputs });
    expect(again.cachedRows).toBe(4);
  });

  it('lists models and describes signatures with numeric shapes and short dtype names', async () => {
    const models = await client.listModels();
    expect(models.map((m) => m.name).sort()).toEqual(['lead-intent', 'lead-scoring', 'property-valuation']);
    expect(models.find((m) => m.name === 'lead-scoring')).toMatchObject({ ready: true, state: 'READY', latestVersion: '1' });
    const md = await client.getModelMetadata('lead-intent');
    expect(md.inputs).toEqual([{ name: 'input_ids', dtype: 'int64', shape: [-1, 64] }, { name: 'attention_mask', dtype: 'int64', shape: [-1, 64] }]);
    expect(md.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: [-1, 8] }]);
    expect(md).toMatchObject({ name: 'lead-intent', version: '1', platform: 'onnxruntime', executionProvider: 'cpu' });
  });

  it('rejects with grpc code, details and the server hub-error-code, without retrying non-UNAVAILABLE errors', async () => {
    const missing = await rejection(client.predict({ model: 'no-such-model', inputs: { x: new Float32Array(3) } }));
    expect(missing).toMatchObject({ code: grpc.status.NOT_FOUND, hubCode: 'MODEL_NOT_FOUND', attempts: 1, origin: 'server' });
    expect(missing.details).toContain('no-such-model');
    const bad = await rejection(client.predict({ model: 'lead-scoring', inputs: { features: { data: new Float32Array(31), shape: [1, 31] } } }));
    expect(bad).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, hubCode: 'INVALID_INPUT', attempts: 1 });
    expect(bad.details).toContain('features');
  });

  it('sends the admin token for LoadModel; without it the server answers UNAUTHENTICATED', async () => {
    const denied = await rejection(client.loadModel('property-valuation'));
    expect(denied).toMatchObject({ code: grpc.status.UNAUTHENTICATED, hubCode: 'UNAUTHENTICATED' });
    const loaded = await client.loadModel('property-valuation', '1', { adminToken: ADMIN_TOKEN });
    expect(loaded).toMatchObject({ model: 'property-valuation', version: '1', ready: true });
  });
});

describe('client SDK over two real replicas', () => {
  let a: TestServer;
  let b: ChildServer;
  beforeAll(async () => {
    a = await startTestServer({ config: { workers: 1, preloadTop: 2 } });
    b = await spawnServer({ HUB_WORKERS: '1', HUB_PRELOAD_TOP: '2', HUB_METRICS_ADDRESS: '127.0.0.1:0' });
  });
  afterAll(async () => {
    await b?.stop('SIGKILL');
    await a?.close();
  });

  const okCount = async (metricsAddress: string): Promise<number> => {
    const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('hub_requests_total{model="lead-scoring",code="OK"}'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  it('spreads calls round-robin over the replicas, then fails over when one stops', async () => {
    const client = new InferenceClient({ targets: [a.address, b.address], retries: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 } });
    try {
      const inputs = sdkInputs(sampleInputs(cfg('lead-scoring'), 1, 3));
      const before = await okCount(b.metricsAddress!);
      for (let i = 0; i < 10; i++) await client.predict({ model: 'lead-scoring', inputs, cache: 'bypass' });
      expect((await okCount(b.metricsAddress!)) - before).toBe(5);

      expect(await b.stop('SIGTERM')).toBe(0);
      for (let i = 0; i < 6; i++) {
        const res = await client.predict({ model: 'lead-scoring', inputs, cache: 'bypass' });
        expect(res.outputs['probability']!.shape).toEqual([1, 1]);
      }
    } finally {
      client.close();
    }
  });
});
