import { describe, expect, it, afterEach } from 'vitest';
import path from 'node:path';
import { MainThreadRunner } from '../../src/engine/main-thread-runner.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { referenceRun } from '../helpers/reference.js';
import type { EngineRunResult } from '../../src/engine/inference-engine.js';

const cfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
const file = path.resolve('models/lead-scoring/1/model.onnx');
const settings = { provider: 'cpu' as const, intraOpThreads: 1, graphOptimizationLevel: 'extended' as const };

describe('MainThreadRunner (real ONNX Runtime on the main thread)', () => {
  let runner: MainThreadRunner | undefined;
  afterEach(async () => { await runner?.close(); runner = undefined; });

  it('runs a batch its predecessor\'s completion starts in the same check phase, not a turn of the event loop later', async () => {
    runner = new MainThreadRunner();
    await runner.load('ls', file, settings);
    const r = runner;
    const order: string[] = [];
    const first = sampleInputs(cfg, 2, 1);
    const second = sampleInputs(cfg, 3, 2);
    const results: EngineRunResult[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const started = r.runSoon('ls', first, (err, res) => {
        if (err || !res) { reject(err ?? new Error('no result')); return; }
        order.push('first'); results.push(res);
        // What the batcher does when rows waited behind this batch: start the next one from the callback.
        expect(r.busy).toBe(false);
        const again = r.runSoon('ls', second, (err2, res2) => {
          if (err2 || !res2) { reject(err2 ?? new Error('no result')); return; }
          order.push('second'); results.push(res2);
          resolve();
        });
        expect(again).toBe(true);
        expect(r.busy).toBe(true);
      });
      expect(started).toBe(true);
    });
    // Queued in the check phase right after the first batch's turn: it runs only after both batches.
    setImmediate(() => order.push('next check-phase callback'));
    await done;
    await new Promise((res) => setImmediate(res));
    expect(order).toEqual(['first', 'second', 'next check-phase callback']);
    // And the answers are ONNX Runtime's own, row for row.
    const refs = [await referenceRun(file, first), await referenceRun(file, second)];
    results.forEach((res, i) => {
      const got = new Float32Array(new Uint8Array(res.outputs['probability']!.data).buffer);
      expect(Array.from(got)).toEqual(Array.from(refs[i]!['probability']!));
    });
  });

  it('a failing batch answers its own callback with the error and the next batch still runs', async () => {
    runner = new MainThreadRunner();
    await runner.load('ls', file, settings);
    const r = runner;
    const bad = { features: { dtype: 'float32' as const, shape: [1, 7], data: new Uint8Array(28) } };
    const outcome = await new Promise<{ err: Error | undefined; next: EngineRunResult | undefined }>((resolve) => {
      r.runSoon('ls', bad, (err) => {
        r.runSoon('ls', sampleInputs(cfg, 1, 3), (err2, res2) => resolve({ err: err ?? err2, next: res2 }));
      });
    });
    expect(outcome.err).toBeInstanceOf(Error);
    expect(outcome.next?.outputs['probability']!.shape).toEqual([1, 1]);
    expect(r.busy).toBe(false);
  });
});
