import { describe, it, expect } from 'vitest';
import { SingleFlight, type SharedSubmission } from '../../../src/predict/single-flight.js';
import { isInferenceError } from '../../../src/errors/index.js';

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A fake batcher: records each computation and lets the test finish it. Like the real batcher it watches the
 * submission's signal and reads its deadline when asked.
 */
class FakeBatcher {
  readonly runs: { indices: number[]; shared: SharedSubmission; finish: (values: string[]) => void; fail: (e: Error) => void; aborted: boolean }[] = [];

  compute = (indices: number[], shared: SharedSubmission): Promise<string[]> => new Promise((resolve, reject) => {
    const run = { indices, shared, finish: resolve, fail: reject, aborted: false };
    shared.signal.addEventListener('abort', () => { run.aborted = true; reject(new Error('dropped by the batcher')); });
    this.runs.push(run);
  });
}

describe('SingleFlight', () => {
  it('computes a key once for concurrent callers and answers each', async () => {
    const sf = new SingleFlight<string>();
    const fake = new FakeBatcher();
    let shared = 0;
    const a = sf.run(['k1', 'k2'], {}, fake.compute, { join: true });
    const b = sf.run(['k2', 'k3'], {}, fake.compute, { join: true, onShared: (n) => { shared += n; } });
    expect(fake.runs.map((r) => r.indices)).toEqual([[0, 1], [1]]);
    expect(shared).toBe(1);
    fake.runs[0]!.finish(['v1', 'v2']);
    fake.runs[1]!.finish(['v3']);
    expect(await a).toEqual(['v1', 'v2']);
    expect(await b).toEqual(['v2', 'v3']);
    expect(sf.size).toBe(0);
  });

  it('answers a follower with a long deadline when the leader\'s short deadline passes', async () => {
    const sf = new SingleFlight<string>();
    const fake = new FakeBatcher();
    const leader = sf.run(['k'], { deadline: Date.now() + 30 }, fake.compute, { join: true });
    const follower = sf.run(['k'], { deadline: Date.now() + 30_000 }, fake.compute, { join: true });
    await expect(leader).rejects.toSatisfy((e) => isInferenceError(e, 'DEADLINE_EXCEEDED'));
    expect(fake.runs[0]!.aborted).toBe(false);
    fake.runs[0]!.finish(['v']);
    expect(await follower).toEqual(['v']);
  });

  it('shows the batcher the latest deadline among the waiters, and none when a waiter has none', async () => {
    const sf = new SingleFlight<string>();
    const fake = new FakeBatcher();
    const d1 = Date.now() + 1_000;
    const d2 = Date.now() + 5_000;
    const a = sf.run(['k'], { deadline: d1 }, fake.compute, { join: true });
    expect(fake.runs[0]!.shared.deadline).toBe(d1);
    const b = sf.run(['k'], { deadline: d2 }, fake.compute, { join: true });
    expect(fake.runs[0]!.shared.deadline).toBe(d2);
    const c = sf.run(['k'], {}, fake.compute, { join: true });
    expect(fake.runs[0]!.shared.deadline).toBeUndefined();
    fake.runs[0]!.finish(['v']);
    expect(await Promise.all([a, b, c])).toEqual([['v'], ['v'], ['v']]);
  });

  it('a cancelled waiter gets CANCELLED for itself; the others still get the answer', async () => {
    const sf = new SingleFlight<string>();
    const fake = new FakeBatcher();
    const ac = new AbortController();
    const leader = sf.run(['k'], { signal: ac.signal }, fake.compute, { join: true });
    const follower = sf.run(['k'], {}, fake.compute, { join: true });
    ac.abort();
    await expect(leader).rejects.toSatisfy((e) => isInferenceError(e, 'CANCELLED'));
    await tick();
    expect(fake.runs[0]!.aborted).toBe(false);
    fake.runs[0]!.finish(['v']);
    expect(await follower).toEqual(['v']);
  });

  it('aborts the computation, so it never runs, when every waiter of every row has left', async () => {
    const sf = new SingleFlight<string>();
    const fake = new FakeBatcher();
    const a1 = new AbortController();
    const a2 = new AbortController();
    const leader = sf.run(['k1', 'k2'], { signal: a1.signal }, fake.compute, { join: true });
    const follower = sf.run(['k2'], { signal: a2.signal }, fake.compute, { join: true });
    a1.abort();
    await expect(leader).rejects.toSatisfy((e) => isInferenceError(e, 'CANCELLED'));
    expect(fake.runs[0]!.aborted).toBe(false); // k2 is still wanted by the follower
    a2.abort();
    await expect(follower).rejects.toSatisfy((e) => isInferenceError(e, 'CANCELLED'));
    expect(fake.runs[0]!.aborted).toBe(true);
    expect(sf.size).toBe(0);
  });

  it('gives every waiter the computation\'s own failure', async () => {
    const sf = new SingleFlight<string>();
    const fake = new FakeBatcher();
    const a = sf.run(['k'], {}, fake.compute, { join: true });
    const b = sf.run(['k'], {}, fake.compute, { join: true });
    fake.runs[0]!.fail(new Error('engine failed'));
    await expect(a).rejects.toThrow('engine failed');
    await expect(b).rejects.toThrow('engine failed');
  });

  it('a refresh computes its own rows instead of joining, and a repeated key in one call is computed once', async () => {
    const sf = new SingleFlight<string>();
    const fake = new FakeBatcher();
    const a = sf.run(['k'], {}, fake.compute, { join: true });
    const r = sf.run(['k', 'k'], {}, fake.compute, { join: false });
    expect(fake.runs.map((x) => x.indices)).toEqual([[0], [0]]);
    fake.runs[0]!.finish(['old']);
    fake.runs[1]!.finish(['new']);
    expect(await a).toEqual(['old']);
    expect(await r).toEqual(['new', 'new']);
  });
});
