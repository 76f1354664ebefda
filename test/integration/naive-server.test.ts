/**
 * The bench's reference servers (bench/naive/naive-server.ts) answer real gRPC calls: the plain one with ONNX
 * Runtime's answer to every request, the `--canned` one (the no-inference line) with a model's first answer to
 * every later call, without inference. Started as child processes the way the bench starts them.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceClient, type TensorInput } from '../../src/client/index.js';
import { startServer, type ServerHandle } from '../../bench/harness/server-process.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import type { NamedTensors } from '../../src/tensor/tensor.js';
import { maxRelDiff, referenceRun } from '../helpers/reference.js';

const root = process.cwd();
const models = path.join(root, 'models');
const script = path.join(root, 'dist', 'bench', 'naive', 'naive-server.js');
const modelFile = path.join(models, 'lead-scoring', '1', 'model.onnx');
const cfg = readModelConfig(path.join(models, 'lead-scoring', 'config.json'), 'lead-scoring');

const sdk = (inputs: NamedTensors): Record<string, TensorInput> =>
  Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { data: new Float32Array(new Uint8Array(t.data).buffer), shape: t.shape }]));

describe('the bench\'s reference servers', () => {
  const a = sampleInputs(cfg, 1, 11);
  const b = sampleInputs(cfg, 1, 12);
  let plain: ServerHandle;
  let canned: ServerHandle;
  let toPlain: InferenceClient;
  let toCanned: InferenceClient;
  beforeAll(async () => {
    [plain, canned] = await Promise.all([
      startServer({ root, modelRepository: models, entry: { script, args: [models] } }),
      startServer({ root, modelRepository: models, entry: { script, args: [models, '--canned'] } }),
    ]);
    toPlain = new InferenceClient({ targets: plain.grpcAddress });
    toCanned = new InferenceClient({ targets: canned.grpcAddress });
  }, 60_000);
  afterAll(async () => {
    toPlain?.close();
    toCanned?.close();
    await Promise.all([plain?.stop(), canned?.stop()]);
  });

  const probability = async (client: InferenceClient, inputs: NamedTensors): Promise<Float32Array> =>
    (await client.predict({ model: 'lead-scoring', inputs: sdk(inputs), variant: 'fp32', cache: 'bypass' })).outputs['probability']!.data as Float32Array;

  it('the plain server answers each request with ONNX Runtime\'s answer to it', async () => {
    const [refA, refB] = [await referenceRun(modelFile, a), await referenceRun(modelFile, b)];
    expect(maxRelDiff(await probability(toPlain, a), refA['probability']!)).toBeLessThan(1e-5);
    expect(maxRelDiff(await probability(toPlain, b), refB['probability']!)).toBeLessThan(1e-5);
    expect(maxRelDiff(refA['probability']!, refB['probability']!)).toBeGreaterThan(1e-3); // the two requests differ
  });

  it('the canned server answers every call after the first with the first answer, without inference', async () => {
    const refA = await referenceRun(modelFile, a);
    const first = await probability(toCanned, a);
    expect(maxRelDiff(first, refA['probability']!)).toBeLessThan(1e-5);
    expect([...await probability(toCanned, b)]).toEqual([...first]);
  });

  it('both answer an unknown model with NOT_FOUND', async () => {
    for (const c of [toPlain, toCanned]) {
      await expect(c.predict({ model: 'no-such-model', inputs: sdk(a), variant: 'fp32' })).rejects.toMatchObject({ code: 5 });
    }
  });
});
