import { describe, it, expect } from 'vitest';
import { profileModel, type ProfileRequest } from '../../../src/repository/model-profile.js';
import type { EngineRunResult, LoadedVariantInfo, ModelEngine } from '../../../src/engine/inference-engine.js';
import type { NamedTensors } from '../../../src/tensor/tensor.js';

/** A deterministic engine: compute time (us) of a batch from a table by key and rows; it records every run. */
function fakeEngine(costUs: (key: string, rows: number, wide: boolean) => number, withWide = false): ModelEngine & { runs: string[] } {
  const runs: string[] = [];
  return {
    size: 2, runs,
    load: async (): Promise<LoadedVariantInfo> => { throw new Error('unused'); },
    unload: async () => undefined,
    run: async () => { throw new Error('unused'); },
    idleSlots: () => 1, capacity: () => 1, onIdle: () => () => undefined, dispatchPath: () => 'workers',
    hasWide: () => withWide,
    runOn: async (w: number, key: string, inputs: NamedTensors, wide = false): Promise<EngineRunResult> => {
      const rows = (Object.values(inputs)[0] as { shape: readonly number[] }).shape[0] as number;
      runs.push(`${w}:${key}:${rows}${wide ? ':wide' : ''}`);
      return { outputs: {}, computeUs: costUs(key, rows, wide) };
    },
  };
}

const sample = (rows: number): NamedTensors => ({ x: { dtype: 'float32', shape: [rows, 1], data: new Uint8Array(rows * 4) } });
const request = (over: Partial<ProfileRequest> = {}): ProfileRequest => ({
  variants: [{ variant: 'fp32', key: 'm/1/fp32' }], sizes: [1, 8, 32, 64], maxBatchSize: 64, sample,
  inlineMaxComputeUs: 1000, coldRuns: 1, provider: 'cpu', fallbackAuto: 'fp32', ...over,
});

describe('profileModel: timing', () => {
  it('runs every size cold on every worker first, then interleaves sizes and variants on worker 0 for the medians', async () => {
    const engine = fakeEngine(() => 100);
    const p = await profileModel(engine, request({ variants: [{ variant: 'fp32', key: 'a' }, { variant: 'int8', key: 'b' }], sizes: [1, 8], fallbackAuto: 'int8' }));
    const cold = engine.runs.slice(0, 8);
    expect(cold.filter((r) => r.startsWith('0:')).sort()).toEqual(['0:a:1', '0:a:8', '0:b:1', '0:b:8']);
    expect(cold.filter((r) => r.startsWith('1:')).sort()).toEqual(['1:a:1', '1:a:8', '1:b:1', '1:b:8']);
    // Measured rounds: size by size, the variants alternating inside each size.
    expect(engine.runs.slice(8, 12)).toEqual(['0:a:1', '0:b:1', '0:a:8', '0:b:8']);
    expect(engine.runs.length).toBe(8 + 4 * p.rounds);
    expect(p.rounds).toBeGreaterThanOrEqual(3);
  });

  it('takes the median of the rounds, so one slow run does not move a point', async () => {
    let n = 0;
    const engine = fakeEngine((_k, rows) => (rows === 1 && ++n === 3 ? 50_000 : 100 * rows));
    const p = await profileModel(engine, request({ sizes: [1, 8] }));
    expect(p.variants[0]!.points.map((x) => x.medianUs)).toEqual([100, 800]);
  });
});

describe('profileModel: decisions', () => {
  it('caps the batch where rows/s stops rising (the smallest size within 97% of the best)', async () => {
    // rows/s: b1 1000, b8 8000/1.6=5000, b32 32000/8=4000... best at 8
    const cost: Record<number, number> = { 1: 1000, 8: 1600, 32: 8000, 64: 16_000 };
    const p = await profileModel(fakeEngine((_k, r) => cost[r]!), request());
    const v = p.variants[0]!;
    expect(v.bestBatch).toBe(8);
    expect(v.batchCap).toBe(8);
  });

  it('lets batches grow to maxBatchSize while rows/s still rises at the largest profiled size', async () => {
    const p = await profileModel(fakeEngine((_k, r) => 10 + r), request({ maxBatchSize: 256, inlineMaxComputeUs: 0 }));
    expect(p.variants[0]!.batchCap).toBe(256);
    expect(p.variants[0]!.inline).toBe(false);
  });

  it('lowers the cap so one batch computes within half of a per-model latency target', async () => {
    // rows/s still rising at 64 (cap 64 without a target); a 14 ms target leaves 7 ms per batch: 8 rows take 5.8 ms, 32 take 8.2 ms.
    const cost = (_k: string, r: number): number => 5000 + 100 * r;
    expect((await profileModel(fakeEngine(cost), request({ inlineMaxComputeUs: 0 }))).variants[0]!.batchCap).toBe(64);
    const p = await profileModel(fakeEngine(cost), request({ targetP95Ms: 14, inlineMaxComputeUs: 0 }));
    expect(p.variants[0]!.batchCap).toBe(8);
  });

  it('runs a variant on the main thread only when its batch at the cap computes within inlineMaxComputeUs, and only on CPU', async () => {
    const tiny = fakeEngine((_k, r) => 10 + r); // 74 us at 64
    expect((await profileModel(tiny, request())).variants[0]!.inline).toBe(true);
    expect((await profileModel(tiny, request({ inlineMaxComputeUs: 10 }))).variants[0]!.inline).toBe(false); // not even 1 row fits
    const smaller = (await profileModel(tiny, request({ inlineMaxComputeUs: 50 }))).variants[0]!;
    expect(smaller).toMatchObject({ inline: true, batchCap: 32 }); // 42 us, 88% of 64 rows' rows/s
    expect((await profileModel(tiny, request({ provider: 'cuda' }))).variants[0]!.inline).toBe(false);
  });

  it('keeps a tiny model on the main thread with a smaller cap when only its largest batch is over the bound', async () => {
    // Rows/s still rising at 64 rows (cap = maxBatchSize), but 64 rows take 1100 us: over a 1000 us bound.
    const cost = (_k: string, r: number): number => 100 + 15.6 * r; // 1: 116, 8: 225, 32: 599, 64: 1098 us
    const p = (await profileModel(fakeEngine(cost), request())).variants[0]!;
    expect(p.inline).toBe(true);
    expect(p.batchCap).toBe(32); // 53.4k rows/s against 58.3k at 64: 92% of the best (half needed)
    // When the size that fits gives much less than the best rows/s, the variant goes to the workers instead.
    const steep = (_k: string, r: number): number => (r === 64 ? 1100 : 1000 * r / 8);
    const q = (await profileModel(fakeEngine(steep), request())).variants[0]!;
    expect(q.inline).toBe(false);
    expect(q.batchCap).toBe(64);
  });

  it('uses the wide session only at sizes where it was at least 20% faster on a batch of 1 ms or more (timed up to 8 rows)', async () => {
    const cost = (_k: string, r: number, wide: boolean): number => (r === 1 ? (wide ? 400 : 500) : wide ? 600 * r : 1000 * r);
    const p = await profileModel(fakeEngine(cost, true), request({ inlineMaxComputeUs: 0 }));
    expect(p.variants[0]!.wideAt).toEqual([8]); // batch 1 is under 1 ms; 32 and 64 are not timed (8's answer holds)
    expect(p.variants[0]!.points[1]!.wideMedianUs).toBe(4800);
    expect(p.variants[0]!.points[2]!.wideMedianUs).toBeUndefined();
  });

  it('decides the wide session on fastest rounds, so busy moments in most rounds do not flip it', async () => {
    // The wide session at 8 rows: 4800 us when it has the cores, 9000 us in two calls of every three (a busy host).
    let wideCalls = 0;
    const cost = (_k: string, r: number, wide: boolean): number => {
      if (!wide) return 1000 * r;
      if (r !== 8) return 600 * r;
      return wideCalls++ % 3 === 0 ? 4800 : 9000;
    };
    const p = await profileModel(fakeEngine(cost, true), request({ inlineMaxComputeUs: 0 }));
    const at8 = p.variants[0]!.points.find((x) => x.batch === 8)!;
    expect(at8.wideMedianUs).toBe(9000); // the median says no gain...
    expect(at8.wideMinUs).toBe(4800);
    expect(p.variants[0]!.wideAt).toContain(8); // ...the fastest round says 40% faster
  });

  it('runs lone batches on the main thread on every core from the smallest size up while the wide run is short and not slower', async () => {
    // Wide: 1 row 3000 us (narrow 5000), 8 rows 9000 (narrow 40000); 32 rows are not timed wide.
    const cost = (_k: string, r: number, wide: boolean): number => (wide ? (r === 1 ? 3000 : 9000) : 5000 * r);
    const at = async (over: Partial<ProfileRequest>): Promise<number> => (await profileModel(fakeEngine(cost, true), request({ inlineMaxComputeUs: 0, ...over }))).variants[0]!.idleMainRows;
    expect(await at({ idleMainMaxUs: 10_000 })).toBe(8);
    expect(await at({ idleMainMaxUs: 5000 })).toBe(1); // 8 rows would block the event loop 9 ms
    expect(await at({ idleMainMaxUs: 2000 })).toBe(0);
    expect(await at({ idleMainMaxUs: 0 })).toBe(0);
    expect(await at({})).toBe(0);
    expect(await at({ idleMainMaxUs: 10_000, provider: 'cuda' })).toBe(0);
    // Not faster is enough (the hops are the gain), within 10% on a busy host; more than 10% slower is not.
    const flat = (slow: number) => (_k: string, r: number, wide: boolean): number => (wide ? slow * 1000 * r : 1000 * r);
    expect((await profileModel(fakeEngine(flat(1.05), true), request({ inlineMaxComputeUs: 0, idleMainMaxUs: 10_000 }))).variants[0]!.idleMainRows).toBe(8);
    expect((await profileModel(fakeEngine(flat(1.2), true), request({ inlineMaxComputeUs: 0, idleMainMaxUs: 10_000 }))).variants[0]!.idleMainRows).toBe(0);
    // Without a wide session nothing is measured, so nothing moves.
    expect((await profileModel(fakeEngine(cost, false), request({ inlineMaxComputeUs: 0, idleMainMaxUs: 10_000 }))).variants[0]!.idleMainRows).toBe(0);
    // A variant already on the main thread (inline) has no use for it.
    expect((await profileModel(fakeEngine((_k, r, w) => (w ? 10 : 20) * r, true), request({ idleMainMaxUs: 10_000 }))).variants[0]!).toMatchObject({ inline: true, idleMainRows: 0 });
  });

  it('serves INT8 for AUTO only when it measured faster here, and says why', async () => {
    const variants = [{ variant: 'fp32' as const, key: 'f' }, { variant: 'int8' as const, key: 'i' }];
    const slowerInt8 = await profileModel(fakeEngine((k, r) => (k === 'i' ? 30 : 20) * r), request({ variants, fallbackAuto: 'int8', inlineMaxComputeUs: 0 }));
    expect(slowerInt8.auto).toBe('fp32');
    expect(slowerInt8.autoReason).toMatch(/^fp32: int8 measured 0\.67x fp32 at batch 1/);
    const fasterInt8 = await profileModel(fakeEngine((k, r) => (k === 'i' ? 10 : 20) * r), request({ variants, fallbackAuto: 'int8', inlineMaxComputeUs: 0 }));
    expect(fasterInt8.auto).toBe('int8');
    // Faster under load but slower for a lone request (lead-scoring measured 0.88x at batch 1, 1.21x at 256): FP32.
    const mixed = await profileModel(fakeEngine((k, r) => (k === 'i' ? (r === 1 ? 30 : 10 * r) : 20 * r)), request({ variants, fallbackAuto: 'int8', inlineMaxComputeUs: 0 }));
    expect(mixed.auto).toBe('fp32');
    expect(mixed.autoReason).toMatch(/INT8 is served only when it is at least 1.1x at both$/);
    // A tie within the profile's noise (5% faster at both ends) goes to FP32: INT8 costs accuracy.
    const tie = await profileModel(fakeEngine((k, r) => (k === 'i' ? 19 : 20) * r), request({ variants, fallbackAuto: 'int8', inlineMaxComputeUs: 0 }));
    expect(tie.auto).toBe('fp32');
    expect(tie.autoReason).toMatch(/^fp32: int8 measured 1\.05x fp32 at batch 1 and 1\.05x at the best batch/);
    // Without an INT8 candidate (a GPU serves FP16, or no INT8 passed its gate) the policy's answer stands.
    const only = await profileModel(fakeEngine(() => 10), request({ fallbackAuto: 'fp32' }));
    expect(only.auto).toBe('fp32');
  });
});
