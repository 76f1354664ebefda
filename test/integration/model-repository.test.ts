import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { tempRepo, type TempRepo } from '../helpers/model-repo.js';
import { wireInputs } from '../helpers/reference.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';

const scoringCfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');

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
