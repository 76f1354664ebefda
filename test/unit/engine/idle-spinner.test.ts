import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { int64Tensor, OnnxDataType, valueInfo, writeModel } from '../../../src/onnx/onnx-io.js';
import { IdleSpinner } from '../../../src/engine/idle-spinner.js';
import { metrics } from '../../../src/metrics/metrics.js';
import { readModelConfig } from '../../../src/repository/model-config.js';
import { sampleInputs } from '../../../src/repository/sample-inputs.js';
import type { NamedTensors } from '../../../src/tensor/tensor.js';
import { referenceRun } from '../../helpers/reference.js';
import { until } from '../client/fake-inference-server.js';

const settings = { intraOpThreads: 1, graphOptimizationLevel: 'extended' as const };
const floats = (d: Uint8Array): number[] => Array.from(new Float32Array(new Uint8Array(d).buffer));

/** hub_idle_lane_batches_total{outcome} as /metrics reads it (the registry is this file's: counts are deltas). */
async function laneCount(outcome: string): Promise<number> {
  return (await metrics.laneBatches.get()).values.find((v) => v.labels['outcome'] === outcome)?.value ?? 0;
}
async function spinCount(): Promise<number> {
  return (await metrics.idleSpinnerWakes.get()).values[0]?.value ?? 0;
}

/** Keeps the spinner awake and offers the batch until the lane takes it (bounded). */
async function laneRun(spinner: IdleSpinner, key: string, inputs: NamedTensors): Promise<ReturnType<IdleSpinner['tryRun']>> {
  for (let i = 0; i < 2000; i++) {
    spinner.poke();
    const r = spinner.tryRun(key, inputs);
    if (r) return r;
    await new Promise((res) => setTimeout(res, 1));
  }
  throw new Error('the lane never took the batch');
}

describe('IdleSpinner (a real thread)', () => {
  it('spins for the set time after a poke, sleeps after it, and wakes again on the next poke', async () => {
    const spinner = new IdleSpinner(20_000);
    const spinsBefore = await spinCount();
    try {
      expect(spinner.spinning).toBe(false);
      expect(spinner.periods).toBe(0);
      spinner.poke();
      // The thread itself counts the wake (bounded waits: a loaded machine may be slow).
      await until(() => spinner.periods === 1, 'spinner.periods === 1');
      // Back to sleep once 20 ms pass without another poke.
      await until(() => !spinner.spinning, '!spinner.spinning');
      expect(spinner.periods).toBe(1);
      // One after it slept wakes it again.
      spinner.poke();
      await until(() => spinner.periods === 2, 'spinner.periods === 2');
      await until(() => !spinner.spinning, '!spinner.spinning');
      // hub_idle_spinner_wakes_total counts the wakes the main thread asked for.
      expect(await spinCount()).toBe(spinsBefore + 2);
    } finally {
      await spinner.close();
    }
  });

  it('stops its thread on close in the middle of a spin, and ignores pokes after it', async () => {
    const spinner = new IdleSpinner(60_000_000);
    spinner.poke();
    await until(() => spinner.periods === 1, 'spinner.periods === 1'); // spinning now, for a minute
    await spinner.close(); // resolves only once the thread has exited
    spinner.poke();
    expect(spinner.spinning).toBe(false);
    expect(spinner.periods).toBe(1);
  });

  it('runs a lone batch in its lane while it spins, with the answer ONNX Runtime gives, and declines what it cannot take', async () => {
    const ls = path.resolve('models/lead-scoring/1/model.onnx');
    const li = path.resolve('models/lead-intent/1/model.onnx');
    const lsCfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
    const liCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');
    const spinner = new IdleSpinner(20_000);
    // Every outcome has its series from the start (at 0 before any batch): `increase()` can see the first given_up.
    expect((await metrics.laneBatches.get()).values.map((v) => v.labels['outcome']).sort()).toEqual(['declined', 'failed', 'given_up', 'ran', 'withdrawn']);
    const [ranBefore, failedBefore, handedBackBefore] = [await laneCount('ran'), await laneCount('failed'), await laneCount('withdrawn') + await laneCount('declined')];
    try {
      const inputs = sampleInputs(lsCfg, 3, 7);
      // No session for the variant: declined, nothing runs.
      expect(spinner.tryRun('ls', inputs)).toBeUndefined();
      expect(await spinner.load('bad', path.resolve('models/lead-scoring/config.json'), settings)).toBe(false);
      expect(await spinner.load('ls', ls, settings)).toBe(true);
      expect(await spinner.load('li', li, settings)).toBe(true);
      expect(spinner.hasLane('ls')).toBe(true);
      // Asleep: declined (waking it would cost more than the run).
      await until(() => !spinner.spinning, '!spinner.spinning');
      expect(spinner.tryRun('ls', inputs)).toBeUndefined();
      expect(spinner.laneRuns).toBe(0);
      // Awake: it runs there, same answer as ORT here.
      const r = await laneRun(spinner, 'ls', inputs);
      expect(r!.outputs['probability']!.shape).toEqual([3, 1]);
      expect(floats(r!.outputs['probability']!.data)).toEqual(Array.from((await referenceRun(ls, inputs))['probability']!));
      expect(spinner.laneRuns).toBe(1);
      // Two int64 inputs, another variant.
      const text = sampleInputs(liCfg, 2, 8);
      const t = await laneRun(spinner, 'li', text);
      const ref = (await referenceRun(li, text))['logits']!;
      floats(t!.outputs['logits']!.data).forEach((v, i) => expect(Math.abs(v - ref[i]!)).toBeLessThan(1e-4));
      // A batch bigger than the lane: declined (the main thread runs it), although the lane is awake and serving.
      const big = sampleInputs(lsCfg, 10_000, 9);
      const runsBefore = spinner.laneRuns;
      await laneRun(spinner, 'ls', inputs); // awake now, for 20 ms
      const handedBack = spinner.laneWithdrawn + spinner.laneDeclined;
      expect(spinner.tryRun('ls', big)).toBeUndefined();
      // Refused before it was posted (the size), not withdrawn or declined; the lane serves on.
      expect(spinner.laneWithdrawn + spinner.laneDeclined).toBe(handedBack);
      await laneRun(spinner, 'ls', inputs);
      expect(spinner.laneRuns).toBe(runsBefore + 2);
      // ONNX Runtime failing there: its message, thrown; the lane serves the next batch.
      const bad = sampleInputs(liCfg, 1, 10);
      new BigInt64Array(bad['input_ids']!.data.buffer)[0] = 999_999n;
      let err: unknown;
      for (let i = 0; i < 2000 && err === undefined; i++) {
        spinner.poke();
        try { if (spinner.tryRun('li', bad) === undefined) await new Promise((res) => setTimeout(res, 1)); } catch (e) { err = e; }
      }
      expect(String((err as Error).message)).toMatch(/indices|Gather/);
      expect(floats((await laneRun(spinner, 'ls', inputs))!.outputs['probability']!.data)).toEqual(Array.from((await referenceRun(ls, inputs))['probability']!));
      // Unloaded: declined.
      spinner.unload('ls');
      spinner.poke();
      expect(spinner.tryRun('ls', inputs)).toBeUndefined();
      // /metrics says the same: every answer the lane gave, the one failure, and what it handed back.
      expect(await laneCount('ran')).toBe(ranBefore + spinner.laneRuns);
      expect(await laneCount('failed')).toBe(failedBefore + 1);
      expect(await laneCount('withdrawn') + await laneCount('declined')).toBe(handedBackBefore + spinner.laneWithdrawn + spinner.laneDeclined);
    } finally {
      await spinner.close();
    }
  });

  describe('what the lane hands back to the main thread', () => {
    const ls = path.resolve('models/lead-scoring/1/model.onnx');
    const li = path.resolve('models/lead-intent/1/model.onnx');
    const lsCfg = readModelConfig(path.resolve('models/lead-scoring/config.json'), 'lead-scoring');
    const liCfg = readModelConfig(path.resolve('models/lead-intent/config.json'), 'lead-intent');

    it('declines a batch whose answer does not fit the lane (the input did): the main thread runs it, the lane serves on', async () => {
      // x [N, 8] tiled to y [N, 320000]: 32 bytes in, 1.28 MB out for one row (the lane carries 1 MB).
      const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-lane-'));
      const wide = path.join(dir, 'wide.onnx');
      writeModel(wide, {
        irVersion: 8, opsetImport: [{ domain: '', version: 13 }], producerName: 'test',
        graph: {
          name: 'wide', node: [{ opType: 'Tile', input: ['x', 'repeats'], output: ['y'] }],
          initializer: [int64Tensor('repeats', [2], [1, 40_000])],
          input: [valueInfo('x', OnnxDataType.FLOAT, ['N', 8])], output: [valueInfo('y', OnnxDataType.FLOAT, ['N', 320_000])],
        },
      });
      const spinner = new IdleSpinner(20_000);
      const declinedBefore = await laneCount('declined');
      try {
        expect(await spinner.load('wide', wide, settings)).toBe(true);
        expect(await spinner.load('ls', ls, settings)).toBe(true);
        const x = { x: { dtype: 'float32' as const, shape: [1, 8], data: new Uint8Array(new Float32Array(8).fill(0.5).buffer) } };
        let declined: ReturnType<IdleSpinner['tryRun']> | 'pending' = 'pending';
        for (let i = 0; i < 2000 && spinner.laneDeclined === 0; i++) {
          spinner.poke();
          declined = spinner.tryRun('wide', x);
          if (spinner.laneDeclined === 0) await new Promise((res) => setTimeout(res, 1));
        }
        expect(spinner.laneDeclined).toBe(1);
        expect(await laneCount('declined')).toBe(declinedBefore + 1);
        expect(declined).toBeUndefined();
        expect(spinner.laneRuns).toBe(0);
        const inputs = sampleInputs(lsCfg, 2, 3);
        expect(floats((await laneRun(spinner, 'ls', inputs))!.outputs['probability']!.data)).toEqual(Array.from((await referenceRun(ls, inputs))['probability']!));
        expect(spinner.laneUsable).toBe(true);
      } finally {
        await spinner.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('takes a batch back when the awake thread does not claim it within the claim time (it is loading a model)', async () => {
      const spinner = new IdleSpinner(60_000);
      const withdrawnBefore = await laneCount('withdrawn');
      try {
        expect(await spinner.load('ls', ls, settings)).toBe(true);
        const inputs = sampleInputs(lsCfg, 1, 4);
        // The thread reads control messages between spins and loads synchronously: for those milliseconds it is
        // awake but not looking at its mailbox. Bounded retries: a slow machine may not have started the load yet.
        for (let attempt = 0; attempt < 20 && spinner.laneWithdrawn === 0; attempt++) {
          spinner.poke();
          await until(() => spinner.spinning, 'spinner.spinning');
          const loading = spinner.load(`li${attempt}`, li, settings);
          const t0 = performance.now();
          while (performance.now() - t0 < 2) { /* the thread takes the message and starts loading */ }
          spinner.tryRun('ls', inputs); // withdrawn when the thread is inside the load (counted), else run there
          expect(await loading).toBe(true);
          spinner.unload(`li${attempt}`);
        }
        expect(spinner.laneWithdrawn).toBeGreaterThan(0);
        expect(await laneCount('withdrawn')).toBe(withdrawnBefore + spinner.laneWithdrawn);
        // The withdrawn batch left nothing behind: the next one runs there with ORT's answer.
        expect(floats((await laneRun(spinner, 'ls', inputs))!.outputs['probability']!.data)).toEqual(Array.from((await referenceRun(ls, inputs))['probability']!));
      } finally {
        await spinner.close();
      }
    });

    it('gives the lane up when a taken batch is not answered within 100 ms: the main thread runs it, and the lane is not used again', async () => {
      const spinner = new IdleSpinner(60_000);
      const givenUpBefore = await laneCount('given_up');
      try {
        expect(await spinner.load('li', li, settings)).toBe(true);
        expect(await spinner.load('ls', ls, settings)).toBe(true);
        // 512 texts on one thread: hundreds of milliseconds, far beyond any batch a main-thread variant runs.
        const heavy = sampleInputs(liCfg, 512, 5);
        for (let i = 0; i < 2000 && spinner.laneUsable; i++) {
          spinner.poke();
          expect(spinner.tryRun('li', heavy)).toBeUndefined();
          if (spinner.laneUsable) await new Promise((res) => setTimeout(res, 1));
        }
        expect(spinner.laneUsable).toBe(false);
        expect(await laneCount('given_up')).toBe(givenUpBefore + 1);
        spinner.poke();
        expect(spinner.tryRun('ls', sampleInputs(lsCfg, 1, 6))).toBeUndefined();
      } finally {
        await spinner.close(); // the thread finishes the heavy run, then stops
      }
    });
  });
});
