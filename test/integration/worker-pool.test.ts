import { describe, it, expect, afterEach } from 'vitest';
import path from 'node:path';
import { WorkerPool } from '../../src/engine/worker-pool.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { isInferenceError } from '../../src/errors/index.js';
import { referenceRun } from '../helpers/reference.js';

const cfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
const file = path.resolve('models/lead-scoring/1/model.onnx');

describe('WorkerPool (real ONNX Runtime in worker threads)', () => {
  let pool: WorkerPool | undefined;
  afterEach(async () => { await pool?.close(); pool = undefined; });

  it('loads a variant into every worker and reports its signature', async () => {
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' } });
    const info = await pool.load({ key: 'ls', modelPath: file });
    expect(info.provider).toBe('cpu');
    expect(info.inputs).toEqual([{ name: 'features', type: 'float32', shape: [expect.anything(), 32] }]);
    const inputs = sampleInputs(cfg, 3, 1);
    const [a, b] = await Promise.all([pool.runOn(0, 'ls', inputs), pool.runOn(1, 'ls', inputs)]);
    const ref = await referenceRun(file, inputs);
    for (const r of [a, b]) expect(Array.from(new Float32Array(new Uint8Array(r.outputs['probability']!.data).buffer))).toEqual(Array.from(ref['probability']!));
  });

  it('fails the in-flight batch of a crashed worker with WORKER_CRASHED, replaces the worker and reloads its sessions', async () => {
    pool = new WorkerPool({ workers: 1, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' } });
    await pool.load({ key: 'ls', modelPath: file });
    const inputs = sampleInputs(cfg, 2, 2);
    const inflight = pool.run('ls', inputs);
    pool.killWorker(0);
    await expect(inflight).rejects.toSatisfy((e) => isInferenceError(e, 'WORKER_CRASHED'));
    // Queued work waits for the replacement, which reloads the variant before taking it.
    const after = await pool.run('ls', inputs);
    expect(after.outputs['probability']!.shape).toEqual([2, 1]);
    expect(pool.size).toBe(1);
  });

  it('rejects a model file ONNX Runtime cannot load without harming loaded variants', async () => {
    pool = new WorkerPool({ workers: 1, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' } });
    await pool.load({ key: 'ls', modelPath: file });
    await expect(pool.load({ key: 'bad', modelPath: path.resolve('models/lead-scoring/config.json') })).rejects.toThrow();
    const r = await pool.run('ls', sampleInputs(cfg, 1, 3));
    expect(r.outputs['probability']!.shape).toEqual([1, 1]);
  });
});
