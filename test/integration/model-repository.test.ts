import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempRepo, type TempRepo } from '../helpers/model-repo.js';
import { wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';

const scoringCfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
const intentCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
const rawConfig = (model: string): Record<string, unknown> => JSON.parse(readFileSync(path.resolve('models', model, 'config.json'), 'utf8')) as Record<string, unknown>;

describe('model repository with broken models', () => {
  let srv: TestServer;
  let repo: TempRepo;
  beforeAll(async () => {
    repo = tempRepo();
    repo.addBundled('lead-scoring');
    repo.addBundled('lead-scoring', { preload: { priority: -1 } }, 'lazy-scoring');
    repo.addRaw('bad-field', { name: 'bad-field', maxBatchSize: 'lots', inputs: [], outputs: [] });
    repo.addRaw('bad-json', '{ "name": "bad-json", ');
    // A valid config whose declared signature does not match the ONNX file it points at.
    repo.addRaw('wrong-signature', {
      name: 'wrong-signature', inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 16] }],
      outputs: [{ name: 'probability', dtype: 'float32', shape: [-1, 1] }],
    }, 'models/lead-scoring/1/model.onnx');
    // Valid configs over model files that are not ONNX at all: one fails in ONNX Runtime, one (int64 ids) in
    // the range inference that reads the graph first. Priority -1 keeps them out of the preload.
    for (const [name, from] of [['corrupt-scoring', 'lead-scoring'], ['corrupt-intent', 'lead-intent']] as const) {
      repo.addRaw(name, { ...rawConfig(from), name, preload: { priority: -1 } });
      writeFileSync(path.join(repo.root, name, '1', 'model.onnx'), 'this is not an ONNX model');
    }
    // A declared id range wider than the embedding table input_ids indexes (8192 rows).
    const intentRaw = rawConfig('lead-intent');
    repo.addBundled('lead-intent', {
      preload: { priority: -1 },
      inputs: (intentRaw['inputs'] as { name: string }[]).map((i) => (i.name === 'input_ids' ? { ...i, range: { min: 0, max: 9999 } } : i)),
    }, 'wide-range');
    srv = await startTestServer({ config: { modelRepository: repo.root, preloadTop: 2 } }); // lead-scoring + wrong-signature
  });
  afterAll(async () => { await srv?.close(); repo?.remove(); });

  it('lists broken models as FAILED with an error naming the file and the field', async () => {
    const { models } = await srv.call('ListModels', {});
    const byName = Object.fromEntries(models.map((m: { name: string }) => [m.name, m])) as Record<string, { state: string; error: string; ready: boolean }>;
    expect(byName['bad-field']!.state).toBe('FAILED');
    expect(byName['bad-field']!.error).toMatch(/bad-field\/config\.json: field "maxBatchSize": .*expected number/);
    expect(byName['bad-field']!.error).toMatch(/field "inputs": /);
    expect(byName['bad-json']!.error).toMatch(/bad-json\/config\.json: cannot read config/);
    expect(byName['wrong-signature']!.state).toBe('FAILED');
    expect(byName['wrong-signature']!.error).toMatch(/input "features": dim 1 is 16 in config.json but 32 in the model/);
    expect(byName['lead-scoring']!.ready).toBe(true);
  });

  it('keeps serving the healthy models', async () => {
    const res = await srv.call('Predict', { model: 'lead-scoring', inputs: wireInputs(sampleInputs(scoringCfg, 2, 1)) });
    expect(res.outputs[0].shape.map(Number)).toEqual([2, 1]);
  });

  it('answers a broken model with UNAVAILABLE and the reason', async () => {
    const err = await srv.call('Predict', { model: 'wrong-signature', inputs: wireInputs(sampleInputs(scoringCfg, 1, 1)) }).catch((e) => e);
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.details).toMatch(/failed to load: .*signature does not match config.json/);
  });

  it('names broken model files relative to the repository, never by absolute path', async () => {
    const scoring = await srv.call('Predict', { model: 'corrupt-scoring', inputs: wireInputs(sampleInputs(scoringCfg, 1, 1)) }).catch((e) => e);
    expect(scoring.code).toBe(status.UNAVAILABLE);
    expect(scoring.details).toMatch(/^model "corrupt-scoring" version 1 failed to load: Load model from corrupt-scoring\/1\/model\.onnx failed/);
    const intent = await srv.call('Predict', { model: 'corrupt-intent', inputs: wireInputs(sampleInputs(intentCfg, 1, 1)) }).catch((e) => e);
    expect(intent.code).toBe(status.UNAVAILABLE);
    expect(intent.details).toMatch(/^model "corrupt-intent" version 1 failed to load: corrupt-intent\/1\/model\.onnx: cannot read the model: /);
    const { models } = await srv.call('ListModels', {});
    for (const m of models as { name: string; error: string }[]) expect(m.error, m.name).not.toContain(repo.root);
    expect(models.find((m: { name: string }) => m.name === 'corrupt-scoring').error).toMatch(/^Load model from corrupt-scoring\/1\/model\.onnx failed/);
  });

  it('refuses to load a model whose declared id range is wider than its embedding table, naming the file and field', async () => {
    const err = await srv.call('Predict', { model: 'wide-range', inputs: wireInputs(sampleInputs(intentCfg, 1, 1)) }).catch((e) => e);
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.details).toBe('model "wide-range" version 1 failed to load: wide-range/config.json: field "inputs.input_ids.range": [0, 9999] is wider than the embedding table it indexes, 8192 rows, valid [0, 8191]');
  });

  it('LoadModel refuses a name that is not a folder of the repository, and adds nothing', async () => {
    for (const model of ['..', '../..', 'lead-scoring/1']) {
      const err = await srv.call('LoadModel', { model }).catch((e) => e);
      expect(err.code, model).toBe(status.NOT_FOUND);
    }
    const { models } = await srv.call('ListModels', {});
    expect(models.map((m: { name: string }) => m.name).sort()).toEqual(['bad-field', 'bad-json', 'corrupt-intent', 'corrupt-scoring', 'lazy-scoring', 'lead-scoring', 'wide-range', 'wrong-signature']);
  });

  it('loads a model outside the preload set on first use', async () => {
    const before = (await srv.call('ListModels', {})).models.find((m: { name: string }) => m.name === 'lazy-scoring');
    expect(before.state).toBe('UNLOADED');
    const res = await srv.call('Predict', { model: 'lazy-scoring', inputs: wireInputs(sampleInputs(scoringCfg, 1, 2)) });
    expect(res.model).toBe('lazy-scoring');
    const after = (await srv.call('ListModels', {})).models.find((m: { name: string }) => m.name === 'lazy-scoring');
    expect(after.state).toBe('READY');
  });
});

describe('preload order', () => {
  it('preloads only the top-N models by priority', async () => {
    const repo = tempRepo();
    repo.addBundled('lead-scoring', { preload: { priority: 5 } }, 'high');
    repo.addBundled('lead-scoring', { preload: { priority: 1 } }, 'low');
    const srv = await startTestServer({ config: { modelRepository: repo.root, preloadTop: 1 } });
    try {
      const { models } = await srv.call('ListModels', {});
      const state = Object.fromEntries(models.map((m: { name: string; state: string }) => [m.name, m.state]));
      expect(state).toEqual({ high: 'READY', low: 'UNLOADED' });
    } finally {
      await srv.close();
      repo.remove();
    }
  });
});
