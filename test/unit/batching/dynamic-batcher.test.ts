import { describe, it, expect, beforeEach } from 'vitest';
import { DynamicBatcher, type BatchingPolicy } from '../../../src/batching/dynamic-batcher.js';
import { BatchScheduler } from '../../../src/batching/batch-scheduler.js';
import type { EngineRunResult, InferenceEngine } from '../../../src/engine/inference-engine.js';
import type { HostTensor, NamedTensors } from '../../../src/tensor/tensor.js';
import { InferenceError, isInferenceError } from '../../../src/errors/index.js';
import { Cancellation } from '../../../src/batching/cancel-signal.js';
import { metrics } from '../../../src/metrics/metrics.js';

/** A deterministic engine: output = input * 2 (+ row count as second output), runs finish when released. */
class FakeEngine implements InferenceEngine {
  slots: number;
  runs: { key: string; rows: number; widths: number[] }[] = [];
  #pending: (() => void)[] = [];
  #busy = 0;
  #listeners = new Set<() => void>();
  auto: boolean;
  /** What each run reports as its compute time. */
  computeUs = 100;

  constructor(slots = 1, auto = false) {
    this.slots = slots;
    this.auto = auto;
  }

  run(key: string, inputs: NamedTensors): Promise<EngineRunResult> {
    const x = inputs['x'] as HostTensor;
    const rows = x.shape[0] as number;
    this.runs.push({ key, rows, widths: [x.shape[1] as number] });
    const f = new Float32Array(new Uint8Array(x.data).buffer).map((v) => v * 2);
    // A negative value poisons the whole run, as an out-of-range token id does in ONNX Runtime.
    if (f.some((v) => v < 0)) return Promise.reject(new InferenceError('ENGINE_FAILURE', 'poisoned input'));
    this.#busy++;
    const result: EngineRunResult = { outputs: { y: { dtype: 'float32', shape: [...x.shape], data: new Uint8Array(f.buffer) } }, computeUs: this.computeUs };
    return new Promise((resolve) => {
      const finish = (): void => {
        this.#busy--;
        resolve(result);
        queueMicrotask(() => { for (const l of this.#listeners) l(); });
      };
      if (this.auto) setTimeout(finish, 1);
      else this.#pending.push(finish);
    });
  }

  /** Completes the oldest running batch. */
  release(): void {
    this.#pending.shift()?.();
  }

  idleSlots(): number {
    return Math.max(0, this.slots - this.#busy);
  }

  capacity(): number {
    return this.slots;
  }

  onIdle(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

function rowsOf(values: number[][]): NamedTensors {
  const width = values[0]!.length;
  const f = Float32Array.from(values.flat());
  return { x: { dtype: 'float32', shape: [values.length, width], data: new Uint8Array(f.buffer) } };
}

function floats(t: HostTensor): number[] {
  return Array.from(new Float32Array(new Uint8Array(t.data).buffer));
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Resolves in this turn's check phase, after the batches the batcher started there. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function make(engine: FakeEngine, policy: BatchingPolicy, over: Partial<{ maxBatchSize: number; maxQueueDelayMs: number; maxQueueSize: number }> = {}): DynamicBatcher {
  return new DynamicBatcher({ key: 'm/1/fp32', model: 'm', variant: 'fp32', policy, maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100, ...over }, engine, new BatchScheduler(engine));
}

describe('DynamicBatcher', () => {
  let engine: FakeEngine;
  beforeEach(() => { engine = new FakeEngine(1); });

  it('dispatches in the same turn of the event loop when an engine slot is idle (adaptive, low load)', async () => {
    const b = make(engine, 'adaptive');
    const p = b.submit({ inputs: rowsOf([[1, 2]]), rows: 1 });
    expect(engine.runs).toHaveLength(0); // it starts in this turn's check phase, with any request that joins it
    await turn();
    expect(engine.runs).toHaveLength(1);
    engine.release();
    const r = await p;
    expect(floats(r.outputs['y']!)).toEqual([2, 4]);
    expect(r.batchSize).toBe(1);
  });

  it('a batch opened on an idle engine whose slot another model took before it started waits in its queue, not in the engine', async () => {
    const scheduler = new BatchScheduler(engine);
    const a = new DynamicBatcher({ key: 'a/1/fp32', model: 'a', variant: 'fp32', policy: 'adaptive', maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100 }, engine, scheduler);
    const b = new DynamicBatcher({ key: 'b/1/fp32', model: 'b', variant: 'fp32', policy: 'adaptive', maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100 }, engine, scheduler);
    // Both arrive in one turn on the idle one-slot engine: both open a batch.
    const pa = a.submit({ inputs: rowsOf([[1, 1]]), rows: 1 });
    const pb = [2, 3].map((v) => b.submit({ inputs: rowsOf([[v, v]]), rows: 1 }));
    await turn();
    expect(engine.runs.map((r) => r.key)).toEqual(['a/1/fp32']);
    expect(b.queuedRows).toBe(2);
    engine.release();
    await pa;
    await tick();
    expect(engine.runs.map((r) => [r.key, r.rows])).toEqual([['a/1/fp32', 1], ['b/1/fp32', 2]]);
    engine.release();
    expect((await Promise.all(pb)).map((r) => floats(r.outputs['y']!))).toEqual([[4, 4], [6, 6]]);
  });

  it('accumulates while the engine is busy and sends everything as one batch when a slot frees', async () => {
    const b = make(engine, 'adaptive');
    const first = b.submit({ inputs: rowsOf([[0, 0]]), rows: 1 });
    await turn();
    const later = [1, 2, 3].map((i) => b.submit({ inputs: rowsOf([[i, i]]), rows: 1 }));
    expect(engine.runs).toHaveLength(1);
    expect(b.queuedRows).toBe(3);
    engine.release();
    await first;
    await tick();
    expect(engine.runs.map((r) => r.rows)).toEqual([1, 3]);
    engine.release();
    const res = await Promise.all(later);
    expect(res.map((r) => floats(r.outputs['y']!))).toEqual([[2, 2], [4, 4], [6, 6]]);
    expect(res.every((r) => r.batchSize === 3)).toBe(true);
  });

  it('dispatches a full batch (maxBatchSize rows) at once when a slot is free, before the window ends', async () => {
    const b = make(engine, 'window', { maxBatchSize: 4, maxQueueDelayMs: 10_000 });
    const ps = [0, 1, 2, 3].map((i) => b.submit({ inputs: rowsOf([[i, 0]]), rows: 1 }));
    expect(engine.runs.map((r) => r.rows)).toEqual([4]);
    engine.release();
    await Promise.all(ps);
  });

  it('fixed window opens at the oldest request and flushes when it expires', async () => {
    const b = make(engine, 'window', { maxQueueDelayMs: 30 });
    const p1 = b.submit({ inputs: rowsOf([[1, 1]]), rows: 1 });
    await tick(10);
    const p2 = b.submit({ inputs: rowsOf([[2, 2]]), rows: 1 });
    expect(engine.runs).toHaveLength(0);
    await tick(40);
    expect(engine.runs.map((r) => r.rows)).toEqual([2]);
    engine.release();
    await Promise.all([p1, p2]);
  });

  it('off runs every request alone', async () => {
    engine.auto = true;
    const b = make(engine, 'off');
    await Promise.all([1, 2, 3].map((i) => b.submit({ inputs: rowsOf([[i, i]]), rows: 1 })));
    expect(engine.runs.map((r) => r.rows)).toEqual([1, 1, 1]);
  });

  it('never mixes requests whose non-batch shapes differ', async () => {
    const b = make(engine, 'window', { maxQueueDelayMs: 5 });
    engine.auto = true;
    const a = b.submit({ inputs: rowsOf([[1, 1]]), rows: 1 });
    const c = b.submit({ inputs: rowsOf([[1, 2, 3]]), rows: 1 });
    const d = b.submit({ inputs: rowsOf([[4, 4]]), rows: 1 });
    const [ra, rc, rd] = await Promise.all([a, c, d]);
    expect(engine.runs.map((r) => `${r.rows}x${r.widths[0]}`).sort()).toEqual(['1x3', '2x2']);
    expect(floats(rc.outputs['y']!)).toEqual([2, 4, 6]);
    expect(floats(ra.outputs['y']!)).toEqual([2, 2]);
    expect(floats(rd.outputs['y']!)).toEqual([8, 8]);
  });

  it('splits multi-row requests back exactly', async () => {
    engine.auto = true;
    const b = make(engine, 'window', { maxQueueDelayMs: 5 });
    const [r1, r2] = await Promise.all([
      b.submit({ inputs: rowsOf([[1, 1], [2, 2], [3, 3]]), rows: 3 }),
      b.submit({ inputs: rowsOf([[4, 4], [5, 5]]), rows: 2 }),
    ]);
    expect(engine.runs.map((r) => r.rows)).toEqual([5]);
    expect(floats(r1.outputs['y']!)).toEqual([2, 2, 4, 4, 6, 6]);
    expect(r1.outputs['y']!.shape).toEqual([3, 2]);
    expect(floats(r2.outputs['y']!)).toEqual([8, 8, 10, 10]);
  });

  it('rejects with QUEUE_FULL beyond maxQueueSize rows and keeps serving the queued ones', async () => {
    const b = make(engine, 'window', { maxQueueSize: 3, maxQueueDelayMs: 10_000 });
    const ok = [1, 2, 3].map((i) => b.submit({ inputs: rowsOf([[i, i]]), rows: 1 }));
    await expect(b.submit({ inputs: rowsOf([[9, 9]]), rows: 1 })).rejects.toSatisfy((e) => isInferenceError(e, 'QUEUE_FULL'));
    const drained = b.drain();
    engine.release();
    await Promise.all(ok);
    await drained;
  });

  it('drops a cancelled request from the queue before its batch runs', async () => {
    const b = make(engine, 'window', { maxQueueDelayMs: 30 });
    const ac = new AbortController();
    const cancelled = b.submit({ inputs: rowsOf([[1, 1]]), rows: 1, signal: ac.signal });
    const kept = b.submit({ inputs: rowsOf([[2, 2]]), rows: 1 });
    ac.abort();
    await expect(cancelled).rejects.toSatisfy((e) => isInferenceError(e, 'CANCELLED'));
    await tick(40);
    expect(engine.runs.map((r) => r.rows)).toEqual([1]);
    engine.release();
    expect(floats((await kept).outputs['y']!)).toEqual([4, 4]);
  });

  it('drops a request whose deadline passed while queued, without running it', async () => {
    const b = make(engine, 'window', { maxQueueDelayMs: 30 });
    const expired = expect(b.submit({ inputs: rowsOf([[1, 1]]), rows: 1, deadline: Date.now() + 5 })).rejects.toSatisfy((e) => isInferenceError(e, 'DEADLINE_EXCEEDED'));
    await tick(40);
    await expired;
    expect(engine.runs).toHaveLength(0);
  });

  it('re-runs a failed merged batch request by request so only the failing request gets the error', async () => {
    engine.auto = true;
    const b = make(engine, 'window', { maxQueueDelayMs: 5 });
    const [good1, bad, good2] = await Promise.allSettled([
      b.submit({ inputs: rowsOf([[1, 1]]), rows: 1 }),
      b.submit({ inputs: rowsOf([[-1, 1]]), rows: 1 }),
      b.submit({ inputs: rowsOf([[3, 3]]), rows: 1 }),
    ]);
    expect(engine.runs.map((r) => r.rows)).toEqual([3, 1, 1, 1]);
    expect(good1.status === 'fulfilled' && floats(good1.value.outputs['y']!)).toEqual([2, 2]);
    expect(good2.status === 'fulfilled' && floats(good2.value.outputs['y']!)).toEqual([6, 6]);
    expect(bad.status === 'rejected' && isInferenceError(bad.reason, 'ENGINE_FAILURE')).toBe(true);
  });

  it('rejects requests with more rows than maxBatchSize', async () => {
    const b = make(engine, 'adaptive', { maxBatchSize: 2 });
    await expect(b.submit({ inputs: rowsOf([[1], [2], [3]]), rows: 3 })).rejects.toSatisfy((e) => isInferenceError(e, 'INVALID_REQUEST'));
  });

  it('drain() flushes the window at once and waits for running batches', async () => {
    engine.auto = true;
    const b = make(engine, 'window', { maxQueueDelayMs: 10_000 });
    const p = b.submit({ inputs: rowsOf([[1, 1]]), rows: 1 });
    await b.drain();
    expect((await p).batchSize).toBe(1);
  });

  it('gives a freed slot to the model whose oldest request waited longest', async () => {
    const scheduler = new BatchScheduler(engine);
    const opts = { variant: 'fp32', policy: 'adaptive' as const, maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100 };
    const a = new DynamicBatcher({ ...opts, key: 'a/1/fp32', model: 'a' }, engine, scheduler);
    const c = new DynamicBatcher({ ...opts, key: 'c/1/fp32', model: 'c' }, engine, scheduler);
    const busy = a.submit({ inputs: rowsOf([[0, 0]]), rows: 1 });
    const fromC = c.submit({ inputs: rowsOf([[1, 1]]), rows: 1 });
    await tick(2);
    const fromA = a.submit({ inputs: rowsOf([[2, 2]]), rows: 1 });
    engine.release();
    await busy;
    await tick();
    expect(engine.runs.map((r) => r.key)).toEqual(['a/1/fp32', 'c/1/fp32']);
    engine.release();
    await fromC;
    await tick();
    engine.release();
    await fromA;
  });

  it('never hands the engine more batches than it has idle slots: the rest wait in the bounded queue', async () => {
    const b = make(engine, 'adaptive', { maxBatchSize: 2, maxQueueSize: 6 });
    const accepted = [0, 1, 2, 3].map((i) => b.submit({ inputs: rowsOf([[i, 0], [i, 1]]), rows: 2 }));
    // Full batches too: a full batch waits for a slot like any other, so maxQueueSize is reached.
    await turn();
    expect(engine.runs).toHaveLength(1);
    expect(b.queuedRows).toBe(6);
    await expect(b.submit({ inputs: rowsOf([[9, 9], [9, 9]]), rows: 2 })).rejects.toSatisfy((e) => isInferenceError(e, 'QUEUE_FULL'));
    for (let i = 0; i < 4; i++) { engine.release(); await tick(); }
    await Promise.all(accepted);
    expect(engine.runs.map((r) => r.rows)).toEqual([2, 2, 2, 2]);
  });

  it('refuses at once (OVERLOADED) a request whose deadline the measured drain rate cannot meet', async () => {
    const b = make(engine, 'off');
    const ps = [1, 2, 3, 4].map((i) => b.submit({ inputs: rowsOf([[i, i]]), rows: 1 }));
    // Two completions 30 ms apart while backlogged teach the batcher ~30 ms per row.
    await tick(30); engine.release(); await tick();
    await tick(30); engine.release(); await tick();
    expect(b.queuedRows).toBe(1);
    const t0 = Date.now();
    await expect(b.submit({ inputs: rowsOf([[5, 5]]), rows: 1, deadline: Date.now() + 20 }))
      .rejects.toSatisfy((e) => isInferenceError(e, 'OVERLOADED') && /rows are queued ahead/.test((e as Error).message));
    expect(Date.now() - t0).toBeLessThan(15); // refused at once, not after waiting for the deadline
    const patient = b.submit({ inputs: rowsOf([[6, 6]]), rows: 1, deadline: Date.now() + 10_000 });
    for (let i = 0; i < 3; i++) { engine.release(); await tick(); }
    await Promise.all([...ps, patient]);
  });

  it('drops at dispatch, unrun, a request whose deadline would pass before its batch could finish', async () => {
    engine.computeUs = 50_000;
    const b = make(engine, 'adaptive');
    const first = b.submit({ inputs: rowsOf([[1, 1]]), rows: 1 });
    await turn();
    engine.release();
    await first; // the batcher now knows a batch of 1 takes ~50 ms
    await tick();
    await expect(b.submit({ inputs: rowsOf([[2, 2]]), rows: 1, deadline: Date.now() + 20 }))
      .rejects.toSatisfy((e) => isInferenceError(e, 'DEADLINE_EXCEEDED'));
    expect(engine.runs).toHaveLength(1);
  });

  it('re-runs the requests of a failed merged batch through its own queue, one slot at a time', async () => {
    const b = make(engine, 'window', { maxQueueDelayMs: 5 });
    const all = Promise.allSettled([1, -1, 3].map((v) => b.submit({ inputs: rowsOf([[v, v]]), rows: 1 })));
    await tick(20);
    // The poisoned batch of 3 failed; its requests are back in the queue, and only one runs at a time.
    expect(engine.runs.map((r) => r.rows)).toEqual([3, 1]);
    expect(b.queuedRows).toBe(2);
    engine.release(); await tick();
    engine.release(); await tick();
    const [a, bad, c] = await all;
    expect(a.status).toBe('fulfilled');
    expect(c.status).toBe('fulfilled');
    expect(bad.status === 'rejected' && isInferenceError(bad.reason, 'ENGINE_FAILURE')).toBe(true);
  });

  it('gives a quiet model the next free slot ahead of a flooding model\'s older queue (fair share)', async () => {
    const scheduler = new BatchScheduler(engine);
    engine.computeUs = 200_000;
    const opts = { variant: 'fp32', policy: 'off' as const, maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100 };
    const flood = new DynamicBatcher({ ...opts, key: 'flood/1/fp32', model: 'flood' }, engine, scheduler);
    const quiet = new DynamicBatcher({ ...opts, key: 'quiet/1/fp32', model: 'quiet' }, engine, scheduler);
    const floods = [0, 1, 2, 3, 4].map((i) => flood.submit({ inputs: rowsOf([[i, i]]), rows: 1 }));
    await tick(5);
    const q = quiet.submit({ inputs: rowsOf([[7, 7]]), rows: 1 });
    engine.release();
    await tick();
    expect(engine.runs.map((r) => r.key)).toEqual(['flood/1/fp32', 'quiet/1/fp32']);
    engine.release();
    expect(floats((await q).outputs['y']!)).toEqual([14, 14]);
    for (let i = 0; i < 4; i++) { await tick(); engine.release(); }
    await Promise.all(floods);
  });
});

/** An engine whose free slot runs a batch in the check phase and answers through a callback (a main-thread variant). */
class SoonEngine extends FakeEngine {
  soon = 0;
  /** How each runSoon was asked: at once (`now`, the caller is in the check phase) or at the next one. */
  readonly nows: boolean[] = [];
  #running = false;
  override idleSlots(): number {
    return this.#running ? 0 : super.idleSlots();
  }
  runSoon(key: string, inputs: NamedTensors, done: (err: Error | undefined, res?: EngineRunResult) => void, now = false): boolean {
    this.soon++;
    this.nows.push(now);
    this.#running = true;
    this.auto = true;
    const start = (): void => {
      this.run(key, inputs).then((r) => { this.#running = false; done(undefined, r); }, (e: Error) => { this.#running = false; done(e); });
    };
    if (now) start(); else setImmediate(start);
    return true;
  }
}

describe('DynamicBatcher on an engine that can run a lone batch without a promise (runSoon)', () => {
  it('starts the requests that find the engine idle in one turn as one batch in its check phase, and batches the ones that arrive while it runs', async () => {
    const engine = new SoonEngine(1, true);
    const b = new DynamicBatcher({ key: 'k', model: 'm', variant: 'fp32', policy: 'adaptive', maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100 }, engine, new BatchScheduler(engine));
    // Read from the sockets in the same turn of the event loop: they leave together, in this turn's check phase.
    const together = [1, 2, 3].map((v) => b.submit({ inputs: rowsOf([[v, v]]), rows: 1 }));
    expect(engine.soon).toBe(0);
    expect(b.queuedRows).toBe(0);
    await turn();
    expect(engine.soon).toBe(1);
    expect(engine.nows).toEqual([true]);
    // Arrived while that batch runs: they wait and leave as one batch when it is done.
    const later = [4, 5].map((v) => b.submit({ inputs: rowsOf([[v, v]]), rows: 1 }));
    expect(b.queuedRows).toBe(2);
    const first = await Promise.all(together);
    const second = await Promise.all(later);
    expect(first.map((r) => r.batchSize)).toEqual([3, 3, 3]);
    expect(first.map((r) => floats(r.outputs['y']!))).toEqual([[2, 2], [4, 4], [6, 6]]);
    expect(second.map((r) => r.batchSize)).toEqual([2, 2]);
    expect(floats(second[1]!.outputs['y']!)).toEqual([10, 10]);
    expect(engine.runs.map((r) => r.rows)).toEqual([3, 2]);
  });

  it('a request that cannot join the open batch (other shape, or past the batch cap) waits its turn behind it', async () => {
    const engine = new SoonEngine(1, true);
    const b = new DynamicBatcher({ key: 'k', model: 'm', variant: 'fp32', policy: 'adaptive', maxBatchSize: 4, batchCap: 2, maxQueueDelayMs: 20, maxQueueSize: 100 }, engine, new BatchScheduler(engine));
    const a = b.submit({ inputs: rowsOf([[1, 1]]), rows: 1 });
    const wide = b.submit({ inputs: rowsOf([[1, 1, 1]]), rows: 1 }); // another non-batch shape
    const c = b.submit({ inputs: rowsOf([[2, 2]]), rows: 1 }); // joins: 2 rows, the cap
    const d = b.submit({ inputs: rowsOf([[3, 3]]), rows: 1 }); // past the cap
    expect(b.queuedRows).toBe(2);
    expect(engine.runs).toHaveLength(0); // nothing jumps ahead of the open batch
    await Promise.all([a, wide, c, d]);
    expect(engine.runs.map((r) => [r.rows, r.widths[0]])).toEqual([[2, 2], [1, 3], [1, 2]]);
  });

  it('with batching off, every request still runs alone', async () => {
    const engine = new SoonEngine(1, true);
    const b = new DynamicBatcher({ key: 'k', model: 'm', variant: 'fp32', policy: 'off', maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100 }, engine, new BatchScheduler(engine));
    await Promise.all([1, 2, 3].map((v) => b.submit({ inputs: rowsOf([[v, v]]), rows: 1 })));
    expect(engine.runs.map((r) => r.rows)).toEqual([1, 1, 1]);
  });

  it('close() fails the requests of a batch that had not started yet with SHUTTING_DOWN', async () => {
    const engine = new SoonEngine(1, true);
    const b = new DynamicBatcher({ key: 'k', model: 'm', variant: 'fp32', policy: 'adaptive', maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100 }, engine, new BatchScheduler(engine));
    const ps = [1, 2].map((v) => b.submit({ inputs: rowsOf([[v, v]]), rows: 1 }));
    b.close();
    for (const p of ps) await expect(p).rejects.toSatisfy((e) => isInferenceError(e, 'SHUTTING_DOWN'));
    await turn();
    expect(engine.runs).toHaveLength(0);
  });

  it('counts the rows of a caller that left while its lone batch ran as wasted, as a queued batch does', async () => {
    const engine = new SoonEngine(1, true);
    const b = new DynamicBatcher({ key: 'k', model: 'wasted-soon', variant: 'fp32', policy: 'adaptive', maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100 }, engine, new BatchScheduler(engine));
    const wasted = async (): Promise<number> => (await metrics.wastedRows.get()).values.find((v) => v.labels.model === 'wasted-soon')?.value ?? 0;
    const before = await wasted();
    const left = new Cancellation();
    const p = b.submit({ inputs: rowsOf([[1, 1], [2, 2]]), rows: 2, signal: left });
    await turn();
    expect(engine.soon).toBe(1);
    left.cancel(); // the caller goes while its rows run
    await p;
    expect(await wasted() - before).toBe(2);
    await b.submit({ inputs: rowsOf([[3, 3]]), rows: 1 });
    expect(await wasted() - before).toBe(2);
  });
});
