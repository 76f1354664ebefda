import { describe, it, expect, afterEach } from 'vitest';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
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

  it('moves a variant whose measured batches are tiny to the main thread, with the same answers', async () => {
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' }, inlineMaxComputeUs: 50_000 });
    await pool.load({ key: 'ls', modelPath: file });
    expect(pool.dispatchPath('ls')).toBe('workers');
    // Warm-up as the repository runs it: every batch size on every worker.
    for (let w = 0; w < 2; w++) for (const b of [1, 8, 32, 64]) await pool.runOn(w, 'ls', sampleInputs(cfg, b, b));
    await new Promise((r) => setTimeout(r, 200)); // the main-thread session is created in the background
    expect(pool.dispatchPath('ls')).toBe('main-thread');
    expect(pool.idleSlots('ls')).toBe(1);
    const inputs = sampleInputs(cfg, 5, 9);
    const first = await pool.run('ls', inputs);
    const keep = Array.from(new Float32Array(new Uint8Array(first.outputs['probability']!.data).buffer));
    await pool.run('ls', sampleInputs(cfg, 5, 10)); // a later run must not overwrite an earlier answer
    const ref = await referenceRun(file, inputs);
    expect(Array.from(new Float32Array(new Uint8Array(first.outputs['probability']!.data).buffer))).toEqual(keep);
    expect(keep).toEqual(Array.from(ref['probability']!));
  });

  it('keeps a variant on the workers when its batches are not tiny', async () => {
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' }, inlineMaxComputeUs: 1 });
    await pool.load({ key: 'ls', modelPath: file });
    for (let w = 0; w < 2; w++) for (const b of [1, 8, 32, 64]) await pool.runOn(w, 'ls', sampleInputs(cfg, b, b));
    await new Promise((r) => setTimeout(r, 200));
    expect(pool.dispatchPath('ls')).toBe('workers');
  });

  it('runs a lone batch of a heavy model on the wide session where warm-up measured it faster, lending it every worker, with the same answer', async () => {
    const intentCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
    const intentFile = path.resolve('models/lead-intent/1/model.onnx');
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' }, idleIntraOpThreads: 2 });
    await pool.load({ key: 'li', modelPath: intentFile });
    // Warm-up on worker 0 times the narrow and the wide session on the same batches.
    for (const b of [1, 8, 32]) await pool.runOn(0, 'li', sampleInputs(intentCfg, b, b));
    const inputs = sampleInputs(intentCfg, 4, 11);
    // The choice is the warm-up's measurement (a loaded machine may find no gain); whatever it chose holds.
    const wide = pool.usesWideWhenIdle('li', 4);
    // (The wide session may help at some warm-up sizes and not others; metadata lists the sizes where it does.)
    if (wide) expect(pool.dispatchPath('li')).toMatch(/^workers, wide when idle \(batches of [\d/]+\+ rows\)$/);
    const lone = pool.run('li', inputs);
    expect(pool.idleSlots('li')).toBe(wide ? 0 : 1); // with the wide session both workers are lent to it
    const ref = await referenceRun(intentFile, inputs);
    const got = Array.from(new Float32Array(new Uint8Array((await lone).outputs['logits']!.data).buffer));
    got.forEach((v, i) => expect(Math.abs(v - ref['logits']![i]!)).toBeLessThan(1e-4));
    expect(pool.idleSlots('li')).toBe(2);
    // Two at once: the first borrows every core, the second waits for it, then both are answered.
    const [a, b] = await Promise.all([pool.run('li', inputs), pool.run('li', inputs)]);
    expect(a.outputs['logits']!.shape).toEqual([4, 8]);
    expect(b.outputs['logits']!.shape).toEqual([4, 8]);
  });

  it('keeps a tiny model off the wide session, where handing work to a thread pool costs more than it saves', async () => {
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' }, idleIntraOpThreads: 2 });
    await pool.load({ key: 'ls', modelPath: file });
    for (const b of [1, 8, 32]) await pool.runOn(0, 'ls', sampleInputs(cfg, b, b));
    const lone = pool.run('ls', sampleInputs(cfg, 1, 12));
    expect(pool.idleSlots('ls')).toBe(1); // ran on one worker; the other stays free
    await lone;
  });

  it('an ONNX Runtime failure reaches the caller without node names or file paths', async () => {
    const intentCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
    pool = new WorkerPool({ workers: 1, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' } });
    await pool.load({ key: 'li', modelPath: path.resolve('models/lead-intent/1/model.onnx') });
    const inputs = sampleInputs(intentCfg, 1, 1);
    new BigInt64Array(inputs['input_ids']!.data.buffer)[0] = 999_999n; // validation would refuse it; the engine alone fails
    const err = await pool.run('li', inputs).then(() => undefined, (e: unknown) => e);
    expect(isInferenceError(err, 'ENGINE_FAILURE')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toMatch(/details are in the server log/);
    expect(msg).not.toMatch(/Gather|node|\/work\/|\.onnx|999999/i);
  });

  it('keeps ONNX Runtime\'s own (coloured, non-JSON) log lines out of the process output', () => {
    // A failing run in a separate process: native stderr cannot be captured in-process.
    const script = `
      import { WorkerPool } from '${path.resolve('dist/src/engine/worker-pool.js')}';
      import { readModelConfig } from '${path.resolve('dist/src/repository/model-config.js')}';
      import { sampleInputs } from '${path.resolve('dist/src/repository/sample-inputs.js')}';
      const cfg = readModelConfig('models/lead-intent/config.json', 'lead-intent');
      const pool = new WorkerPool({ workers: 1, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' } });
      await pool.load({ key: 'li', modelPath: 'models/lead-intent/1/model.onnx' });
      const inputs = sampleInputs(cfg, 1, 1);
      new BigInt64Array(inputs.input_ids.data.buffer)[0] = 999999n;
      await pool.run('li', inputs).catch((e) => console.log('failed as expected:', e.code));
      await pool.close();`;
    // A file, not --eval: worker threads inherit the parent's execArgv.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-ortlog-'));
    writeFileSync(path.join(dir, 'run.mjs'), script);
    const r = spawnSync(process.execPath, [path.join(dir, 'run.mjs')], { encoding: 'utf8', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
    const out = `${r.stdout}${r.stderr}`;
    expect(out).toMatch(/ONNX Runtime failed to run a batch/); // the failure did happen, and went through the logger
    expect(out).not.toMatch(/\[E:onnxruntime/); // and ORT printed nothing of its own
    expect(out.includes(`${String.fromCharCode(27)}[`)).toBe(false); // no terminal colour codes
  });
});
