import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempRepo, type TempRepo } from '../helpers/model-repo.js';
import { maxRelDiff, referenceRun, responseFloats, wireInputs } from '../helpers/reference.js';
import { encodeModel, OnnxDataType, readModel, valueInfo } from '../../src/onnx/onnx-io.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';

const scoring = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
const intent = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');

/** A model folder holding only `1/model.onnx` (and optionally a partial config.json), as an exporter leaves it. */
function bare(repo: TempRepo, name: string, from: string, config?: Record<string, unknown>): void {
  mkdirSync(path.join(repo.root, name, '1'), { recursive: true });
  symlinkSync(path.resolve(from), path.join(repo.root, name, '1', 'model.onnx'));
  if (config) writeFileSync(path.join(repo.root, name, 'config.json'), JSON.stringify(config));
}

describe('config is optional: auto-complete from the ONNX signature', () => {
  let srv: TestServer;
  let repo: TempRepo;
  beforeAll(async () => {
    repo = tempRepo();
    bare(repo, 'bare-scoring', 'models/lead-scoring/1/model.onnx');
    bare(repo, 'bare-intent', 'models/lead-intent/1/model.onnx', { name: 'bare-intent', maxBatchSize: 8, preload: { priority: 5 } });
    // A model whose batch dim is fixed (exported without dynamic_axes).
    const fixed = readModel(path.resolve('models/lead-scoring/1/model.onnx'));
    fixed.graph!.input = [valueInfo('features', OnnxDataType.FLOAT, [1, 32])];
    mkdirSync(path.join(repo.root, 'fixed-batch', '1'), { recursive: true });
    writeFileSync(path.join(repo.root, 'fixed-batch', '1', 'model.onnx'), encodeModel(fixed));
    // Not a model: a file where the ONNX model should be, and a folder with a config but no version.
    mkdirSync(path.join(repo.root, 'garbage', '1'), { recursive: true });
    writeFileSync(path.join(repo.root, 'garbage', '1', 'model.onnx'), 'this is not protobuf');
    mkdirSync(path.join(repo.root, 'no-version', 'docs'), { recursive: true });
    // Source files only (like models/builder): not a model folder, not listed.
    mkdirSync(path.join(repo.root, 'tools'), { recursive: true });
    writeFileSync(path.join(repo.root, 'tools', 'build.ts'), '// not a model');
    srv = await startTestServer({ config: { modelRepository: repo.root, preloadTop: 10 } });
  });
  afterAll(async () => { await srv?.close(); repo?.remove(); });

  it('serves a folder holding only model.onnx, with outputs equal to ONNX Runtime', async () => {
    const inputs = sampleInputs(scoring, 3, 5);
    const r = await srv.call('Predict', { model: 'bare-scoring', variant: 'VARIANT_FP32', inputs: wireInputs(inputs) });
    const ref = await referenceRun(path.resolve('models/lead-scoring/1/model.onnx'), inputs);
    expect(maxRelDiff(responseFloats(r.outputs[0]), ref['probability']!)).toBeLessThan(1e-5);
  });

  it('says what was inferred and from where, in ListModels and GetModelMetadata', async () => {
    const list = await srv.call('ListModels', {});
    const byName = Object.fromEntries(list.models.map((m: { name: string }) => [m.name, m]));
    expect(byName['bare-scoring'].configSource).toBe('auto-completed from bare-scoring/1/model.onnx (inputs, outputs)');
    expect(byName['bare-intent'].configSource).toBe('config.json, completed from bare-intent/1/model.onnx (inputs, outputs)');
    const meta = await srv.call('GetModelMetadata', { model: 'bare-scoring' });
    expect(meta.inputs).toEqual([{ name: 'features', dtype: 'DATA_TYPE_FLOAT32', shape: ['-1', '32'] }]);
    expect(meta.maxBatchSize).toBe(64); // the defaults apply
  });

  it('keeps what a partial config.json sets, takes the rest from the model, and infers the id range', async () => {
    const meta = await srv.call('GetModelMetadata', { model: 'bare-intent' });
    expect(meta.maxBatchSize).toBe(8);
    expect(meta.inputs.map((i: { name: string }) => i.name)).toEqual(['input_ids', 'attention_mask']);
    expect(meta.inputRanges).toEqual([{ input: 'input_ids', min: '0', max: '8191', source: 'the embedding table it indexes, 8192 rows' }]);
    const inputs = sampleInputs(intent, 2, 8);
    const r = await srv.call('Predict', { model: 'bare-intent', variant: 'VARIANT_FP32', inputs: wireInputs(inputs) });
    const ref = await referenceRun(path.resolve('models/lead-intent/1/model.onnx'), inputs);
    expect(maxRelDiff(responseFloats(r.outputs[0]), ref['logits']!)).toBeLessThan(1e-4);
  });

  it('lists every folder that cannot serve as FAILED with the reason, and ignores folders that are not models', async () => {
    const list = await srv.call('ListModels', {});
    const byName = Object.fromEntries(list.models.map((m: { name: string }) => [m.name, m]));
    expect(byName['fixed-batch']).toMatchObject({ state: 'FAILED' });
    expect(byName['fixed-batch'].error).toMatch(/fixed-batch\/1\/model\.onnx: cannot complete the config from the model: input "features" has no batch dim: dim 0 is fixed at 1/);
    expect(byName['garbage']).toMatchObject({ state: 'FAILED' });
    expect(byName['garbage'].error).toMatch(/^garbage\/1\/model\.onnx: cannot read the model/);
    expect(byName['no-version']).toMatchObject({ state: 'FAILED' });
    expect(byName['no-version'].error).toMatch(/no-version: no <version>\/model\.onnx to serve \(and no config\.json\)/);
    expect(byName['tools']).toBeUndefined();
    for (const m of list.models) expect(m.error).not.toMatch(/\/tmp\//); // messages name files relative to the repository
    const e = await srv.call('Predict', { model: 'fixed-batch', inputs: wireInputs(sampleInputs(scoring, 1, 1)) }).catch((x) => x);
    expect(e.code).toBe(status.UNAVAILABLE);
  });

  it('LoadModel re-reads a config-less model from its file (read off the event loop), naming the file when it broke', async () => {
    const file = path.join(repo.root, 'reloaded', '1', 'model.onnx');
    mkdirSync(path.dirname(file), { recursive: true });
    copyFileSync(path.resolve('models/lead-scoring/1/model.onnx'), file);
    const first = await srv.call('LoadModel', { model: 'reloaded' });
    expect(first).toMatchObject({ model: 'reloaded', version: '1', ready: true });
    const inputs = sampleInputs(scoring, 2, 9);
    const ok = await srv.call('Predict', { model: 'reloaded', variant: 'VARIANT_FP32', inputs: wireInputs(inputs) });
    const ref = await referenceRun(path.resolve('models/lead-scoring/1/model.onnx'), inputs);
    expect(maxRelDiff(responseFloats(ok.outputs[0]), ref['probability']!)).toBeLessThan(1e-5);

    rmSync(file);
    writeFileSync(file, 'no longer a model');
    const broken = await srv.call('LoadModel', { model: 'reloaded' }).catch((x) => x);
    expect(broken.code).toBe(status.UNAVAILABLE);
    expect(broken.details).toMatch(/^model "reloaded" cannot load: reloaded\/1\/model\.onnx: cannot read the model: /);
    const listed = (await srv.call('ListModels', {})).models.find((m: { name: string }) => m.name === 'reloaded');
    expect(listed).toMatchObject({ state: 'FAILED' });
    expect(listed.error).toMatch(/^reloaded\/1\/model\.onnx: cannot read the model/);

    rmSync(file);
    copyFileSync(path.resolve('models/lead-scoring/1/model.onnx'), file);
    expect(await srv.call('LoadModel', { model: 'reloaded' })).toMatchObject({ ready: true });
    expect((await srv.call('Predict', { model: 'reloaded', variant: 'VARIANT_FP32', inputs: wireInputs(inputs) })).outputs[0]).toEqual(ok.outputs[0]);
  });
});
