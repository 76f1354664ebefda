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
import { until } from '../unit/client/fake-inference-server.js';

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

  it('moves a variant to the main thread when told to, and runs it there with the same answers', async () => {
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' } });
    await pool.load({ key: 'ls', modelPath: file });
    expect(pool.dispatchPath('ls')).toBe('workers');
    expect(await pool.placeOnMainThread('ls')).toBe(true);
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

  it('a throwing idle listener or answer callback is logged: the other listeners still hear, later batches are answered, nothing escapes', async () => {
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' } });
    await pool.load({ key: 'ls', modelPath: file });
    expect(await pool.placeOnMainThread('ls')).toBe(true);
    const escaped: unknown[] = [];
    const onUncaught = (e: unknown): void => { escaped.push(e); };
    process.on('uncaughtException', onUncaught);
    try {
      let heard = 0;
      pool.onIdle(() => { throw new Error('listener bug'); });
      pool.onIdle(() => { heard++; });
      expect(pool.runSoon('ls', sampleInputs(cfg, 2, 1), () => { throw new Error('answer bug'); })).toBe(true);
      await until(() => heard >= 1, 'the second idle listener');
      const inputs = sampleInputs(cfg, 3, 2);
      const answer = await new Promise<Uint8Array>((resolve, reject) => {
        const started = (pool as WorkerPool).runSoon('ls', inputs, (err, res) => (err ? reject(err) : resolve(res!.outputs['probability']!.data)));
        if (!started) reject(new Error('runSoon declined'));
      });
      const ref = await referenceRun(file, inputs);
      expect(Array.from(new Float32Array(new Uint8Array(answer).buffer))).toEqual(Array.from(ref['probability']!));
      const viaRun = await pool.run('ls', inputs);
      expect(viaRun.outputs['probability']!.data).toEqual(answer);
      expect(heard).toBeGreaterThanOrEqual(3);
      await new Promise((r) => setImmediate(r));
      expect(escaped).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('keeps a core awake after a lone request\'s main-thread batch on an idle engine, not after batches of a loaded one', async () => {
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' }, idleSpinUs: 2000 });
    await pool.load({ key: 'ls', modelPath: file });
    expect(pool.spinsFor('ls', 1)).toBe(false); // on the workers: the spinner is for main-thread batches only
    await pool.run('ls', sampleInputs(cfg, 1, 19));
    expect(pool.idleSpins).toBe(0);
    expect(await pool.placeOnMainThread('ls')).toBe(true);
    expect(pool.spinsFor('ls', 1)).toBe(true);
    expect(pool.spinsFor('ls', 9)).toBe(false); // more rows than one lone request's
    // A lone request's batch really wakes the spinner.
    await pool.run('ls', sampleInputs(cfg, 1, 18));
    await until(() => pool!.idleSpins === 1, 'the spinner to wake');
    // While it spins, lone batches run in its lane (a core kept warm for them), with the same answers.
    const lone = sampleInputs(cfg, 1, 17);
    const loneRef = Array.from((await referenceRun(file, lone))['probability']!);
    for (let i = 0; i < 500 && pool.laneRuns === 0; i++) {
      expect(Array.from(new Float32Array(new Uint8Array((await pool.run('ls', lone)).outputs['probability']!.data).buffer))).toEqual(loneRef);
    }
    expect(pool.laneRuns).toBeGreaterThan(0);
    for (const rows of [1, 9, 9]) {
      const inputs = sampleInputs(cfg, rows, 20 + rows);
      const ref = await referenceRun(file, inputs);
      const got = Array.from(new Float32Array(new Uint8Array((await pool.run('ls', inputs)).outputs['probability']!.data).buffer));
      expect(got).toEqual(Array.from(ref['probability']!));
    }
    // Batches of several requests' rows (load): even a small one does not start the spinner...
    expect(pool.spinsFor('ls', 1)).toBe(false);
    await new Promise((r) => setTimeout(r, 50)); // past the 2 ms spin: asleep
    const before = pool.idleSpins;
    await pool.run('ls', sampleInputs(cfg, 1, 39));
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.idleSpins).toBe(before);
    // ...until requests arrive alone again.
    for (let i = 0; i < 12; i++) await pool.run('ls', sampleInputs(cfg, 1, 40 + i));
    expect(pool.spinsFor('ls', 1)).toBe(true);
    // Not while a worker is busy (here with a variant that stays on the workers).
    await pool.load({ key: 'ls-workers', modelPath: file });
    const busy = pool.run('ls-workers', sampleInputs(cfg, 4, 60));
    expect(pool.spinsFor('ls', 1)).toBe(false);
    await busy;
    await new Promise((r) => setImmediate(r));
    expect(pool.spinsFor('ls', 1)).toBe(true);
    // And never when it is off.
    await pool.close();
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' } });
    await pool.load({ key: 'ls', modelPath: file });
    expect(await pool.placeOnMainThread('ls')).toBe(true);
    expect(pool.spinsFor('ls', 1)).toBe(false);
  });

  it('runs a lone batch on the wide session at the sizes the profile found it faster, lending it every worker, with the same answer', async () => {
    const intentCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
    const intentFile = path.resolve('models/lead-intent/1/model.onnx');
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' }, idleIntraOpThreads: 2 });
    await pool.load({ key: 'li', modelPath: intentFile });
    expect(pool.hasWide('li')).toBe(true);
    const inputs = sampleInputs(intentCfg, 4, 11);
    const ref = await referenceRun(intentFile, inputs);
    const wideRun = await pool.runOn(0, 'li', inputs, true); // the profile times the wide session this way
    Array.from(new Float32Array(new Uint8Array(wideRun.outputs['logits']!.data).buffer)).forEach((v, i) => expect(Math.abs(v - ref['logits']![i]!)).toBeLessThan(1e-4));
    await new Promise((r) => setImmediate(r)); // worker 0's slot frees just after its answer is delivered
    // Not measured faster anywhere: a lone batch runs on one worker, the other stays free.
    pool.useWideAt('li', [1, 8, 32], []);
    expect(pool.dispatchPath('li')).toBe('workers');
    const narrow = pool.run('li', inputs);
    expect(pool.idleSlots('li')).toBe(1);
    await narrow;
    // Faster from 1 row (the size measured below 4): a lone batch borrows both workers.
    pool.useWideAt('li', [1, 8, 32], [1, 8, 32]);
    expect(pool.usesWideWhenIdle('li', 4)).toBe(true);
    expect(pool.dispatchPath('li')).toBe('workers, wide when idle (batches of 1/8/32 rows)');
    const lone = pool.run('li', inputs);
    expect(pool.idleSlots('li')).toBe(0);
    const got = Array.from(new Float32Array(new Uint8Array((await lone).outputs['logits']!.data).buffer));
    got.forEach((v, i) => expect(Math.abs(v - ref['logits']![i]!)).toBeLessThan(1e-4));
    await new Promise((r) => setImmediate(r));
    expect(pool.idleSlots('li')).toBe(2);
    // Two at once: the first borrows every core, the second waits for it, then both are answered.
    const [a, b] = await Promise.all([pool.run('li', inputs), pool.run('li', inputs)]);
    expect(a.outputs['logits']!.shape).toEqual([4, 8]);
    expect(b.outputs['logits']!.shape).toEqual([4, 8]);
  });

  it('runs a lone batch of a variant placed so on the main thread on every core when the engine is idle, with the same answer', async () => {
    const intentCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
    const intentFile = path.resolve('models/lead-intent/1/model.onnx');
    const settings = { workers: 2, session: { provider: 'cpu' as const, intraOpThreads: 1, graphOptimizationLevel: 'extended' as const }, idleIntraOpThreads: 2 };
    // Off (the pool's default): placing does nothing.
    pool = new WorkerPool(settings);
    await pool.load({ key: 'li', modelPath: intentFile });
    expect(await pool.placeIdleOnMainThread('li', 1)).toBe(false);
    await pool.run('li', sampleInputs(intentCfg, 1, 3));
    expect(pool.idleMainRuns).toBe(0);
    await pool.close();

    pool = new WorkerPool({ ...settings, idleMainMaxUs: 10_000 });
    await pool.load({ key: 'li', modelPath: intentFile });
    expect(await pool.placeIdleOnMainThread('li', 0)).toBe(false);
    expect(await pool.placeIdleOnMainThread('li', 2)).toBe(true);
    expect(pool.dispatchPath('li')).toBe('workers, main thread when idle (batches of up to 2 rows)');
    const one = sampleInputs(intentCfg, 1, 21);
    const ref = await referenceRun(intentFile, one);
    const close = (r: { outputs: Record<string, { data: Uint8Array }> }): void => {
      Array.from(new Float32Array(new Uint8Array(r.outputs['logits']!.data).buffer)).forEach((v, i) => expect(Math.abs(v - ref['logits']![i]!)).toBeLessThan(1e-4));
    };
    // Lone, engine idle: the main thread runs it, the workers are lent meanwhile.
    const lone = pool.run('li', one);
    expect(pool.idleSlots('li')).toBe(0);
    close(await lone);
    expect(pool.idleMainRuns).toBe(1);
    expect(pool.idleSlots('li')).toBe(2);
    // Too many rows: a worker.
    await pool.run('li', sampleInputs(intentCfg, 3, 22));
    expect(pool.idleMainRuns).toBe(1);
    // A worker busy: not idle, so a worker too (the main thread is not blocked while work is in flight).
    const busy = pool.run('li', sampleInputs(intentCfg, 3, 23));
    close(await pool.run('li', one));
    await busy;
    expect(pool.idleMainRuns).toBe(1);
    // Two at once: the first takes the main thread and every core, the second waits for it on the workers.
    await new Promise((r) => setImmediate(r));
    const [a, b] = await Promise.all([pool.run('li', one), pool.run('li', one)]);
    close(a);
    close(b);
    expect(pool.idleMainRuns).toBe(2);
    // ONNX Runtime failing a batch there: ENGINE_FAILURE for its caller, and the workers are given back.
    await new Promise((r) => setImmediate(r));
    const bad = sampleInputs(intentCfg, 1, 24);
    new BigInt64Array(bad['input_ids']!.data.buffer)[0] = 999_999n;
    const err = await pool.run('li', bad).then(() => undefined, (e: unknown) => e);
    expect(isInferenceError(err, 'ENGINE_FAILURE')).toBe(true);
    expect(pool.idleMainRuns).toBe(3);
    expect(pool.idleSlots('li')).toBe(2);
    close(await pool.run('li', one));
    // Another variant started a batch within the last 10 ms (the main thread may be serving it): workers.
    await pool.load({ key: 'ls', modelPath: file });
    await new Promise((r) => setImmediate(r));
    const runs = pool.idleMainRuns;
    const other = pool.run('ls', sampleInputs(cfg, 1, 25)); // started in this same tick
    const [, after] = await Promise.all([other, pool.run('li', one)]);
    close(after);
    expect(pool.idleMainRuns).toBe(runs);
    await new Promise((r) => setTimeout(r, 20));
    close(await pool.run('li', one));
    expect(pool.idleMainRuns).toBe(runs + 1);
    // Requests that meet in batches (recent batches averaging 2 rows or more): not a lone caller, workers.
    for (let i = 0; i < 6; i++) await pool.run('li', sampleInputs(intentCfg, 3, 30 + i));
    await new Promise((r) => setImmediate(r));
    close(await pool.run('li', one));
    expect(pool.idleMainRuns).toBe(runs + 1);
    await new Promise((r) => setImmediate(r));
    close(await pool.run('li', one)); // the average is back under 2 rows
    expect(pool.idleMainRuns).toBe(runs + 2);
    // Unloading the variant releases its main-thread session too.
    await pool.unload('li');
    expect(pool.dispatchPath('li')).toBe('workers');
  });

  it('answers a lone batch on the main-thread all-core session through runSoon, giving the workers back before its caller hears', async () => {
    const intentCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
    const intentFile = path.resolve('models/lead-intent/1/model.onnx');
    pool = new WorkerPool({ workers: 2, session: { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' }, idleIntraOpThreads: 2, idleMainMaxUs: 10_000 });
    await pool.load({ key: 'li', modelPath: intentFile });
    const one = sampleInputs(intentCfg, 1, 41);
    const ref = await referenceRun(intentFile, one);
    const soon = (inputs: typeof one): { started: boolean; answer: Promise<{ res?: { outputs: Record<string, { data: Uint8Array }> }; err?: Error; idleThen: number }> } => {
      let started = false;
      const answer = new Promise<{ res?: { outputs: Record<string, { data: Uint8Array }> }; err?: Error; idleThen: number }>((resolve) => {
        started = (pool as WorkerPool).runSoon('li', inputs, (err, res) => resolve({ ...(res ? { res } : {}), ...(err ? { err } : {}), idleThen: (pool as WorkerPool).idleSlots('li') }));
      });
      return { started, answer };
    };
    // Not placed on the main thread yet: runSoon declines and nothing runs.
    expect(soon(one).started).toBe(false);
    expect(pool.idleSlots('li')).toBe(2);
    expect(await pool.placeIdleOnMainThread('li', 1)).toBe(true);
    // Placed, engine idle: it runs there, the workers are lent until the answer, and given back before `done`.
    const lone = soon(one);
    expect(lone.started).toBe(true);
    expect(pool.idleSlots('li')).toBe(0);
    const got = await lone.answer;
    expect(got.err).toBeUndefined();
    expect(got.idleThen).toBe(2);
    Array.from(new Float32Array(new Uint8Array(got.res!.outputs['logits']!.data).buffer)).forEach((v, i) => expect(Math.abs(v - ref['logits']![i]!)).toBeLessThan(1e-4));
    expect(pool.idleMainRuns).toBe(1);
    // More rows than the session serves, or a worker busy: runSoon declines (run() then places the batch).
    expect(soon(sampleInputs(intentCfg, 2, 42)).started).toBe(false);
    const busy = pool.run('li', sampleInputs(intentCfg, 3, 43));
    expect(soon(one).started).toBe(false);
    await busy;
    expect(pool.idleMainRuns).toBe(1);
    // ONNX Runtime failing the batch: ENGINE_FAILURE through `done`, and the workers are given back.
    await new Promise((r) => setTimeout(r, 20));
    const bad = sampleInputs(intentCfg, 1, 44);
    new BigInt64Array(bad['input_ids']!.data.buffer)[0] = 999_999n;
    const failed = soon(bad);
    expect(failed.started).toBe(true);
    const f = await failed.answer;
    expect(isInferenceError(f.err, 'ENGINE_FAILURE')).toBe(true);
    expect(f.idleThen).toBe(2);
    expect(pool.idleMainRuns).toBe(2);
    // A lone batch started when the workers are given back (as a batcher's queued request is) waits for the next
    // check phase: it does not run in this drain, ahead of the answer the first caller is about to send.
    await new Promise((r) => setTimeout(r, 20));
    const events: string[] = [];
    let second: Promise<void> | undefined;
    const unsubscribe = pool.onIdle(() => {
      if (second) return;
      second = new Promise<void>((resolve) => {
        expect((pool as WorkerPool).runSoon('li', one, () => { events.push('second answered'); resolve(); })).toBe(true);
      });
    });
    await new Promise<void>((resolve) => {
      expect((pool as WorkerPool).runSoon('li', one, () => {
        events.push('first answered');
        setImmediate(() => { events.push('next check phase'); resolve(); });
      })).toBe(true);
    });
    await second;
    unsubscribe();
    expect(events).toEqual(['first answered', 'next check phase', 'second answered']);
    expect(pool.idleMainRuns).toBe(4);
    // `now` (the batcher starting a batch from the check phase): it runs before runSoon returns, answered and
    // with the workers given back (lent before it started, not after: else they would stay lent for good).
    await new Promise((r) => setTimeout(r, 20));
    let answeredNow: { err?: Error; idle: number } | undefined;
    expect(pool.runSoon('li', one, (err) => { answeredNow = { ...(err ? { err } : {}), idle: (pool as WorkerPool).idleSlots('li') }; }, true)).toBe(true);
    expect(answeredNow).toEqual({ idle: 2 });
    expect(pool.idleSlots('li')).toBe(2);
    expect(pool.idleMainRuns).toBe(5);
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
