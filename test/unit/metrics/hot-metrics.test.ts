import { describe, it, expect } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { HotHistogram, hotCounter } from '../../../src/metrics/hot-metrics.js';

describe('hot metrics', () => {
  it('a HotHistogram reads on /metrics exactly as prom-client\'s Histogram with the same observations', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const mine = new Registry();
    const theirs = new Registry();
    const hot = new HotHistogram({ name: 'x_seconds', help: 'h', labelNames: ['model', 'variant'] as const, buckets, registers: [mine] });
    const ref = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['model', 'variant'] as const, buckets, registers: [theirs] });
    const a = hot.labels({ model: 'a', variant: 'fp32' });
    const values = [0.0005, 0.001, 0.002, 0.05, 0.5, 1, 7, 0];
    for (const v of values) { a.observe(v); ref.labels({ model: 'a', variant: 'fp32' }).observe(v); }
    hot.observe({ model: 'b', variant: 'int8' }, 0.02);
    ref.observe({ model: 'b', variant: 'int8' }, 0.02);
    expect(await mine.metrics()).toBe(await theirs.metrics());
    expect(hot.labels({ model: 'a', variant: 'fp32' })).toBe(a); // one series per label set
    expect(() => hot.labels({ model: 'a', nope: 'x' } as never)).toThrow(/unknown label "nope"/);
    // A series bound but never observed is not reported (prom-client creates one at the first observation).
    hot.labels({ model: 'c', variant: 'fp32' });
    expect(await mine.metrics()).toBe(await theirs.metrics());
    hot.reset();
    ref.reset();
    expect(await mine.metrics()).toBe(await theirs.metrics());
    // A child bound before the reset keeps recording, and is read again.
    a.observe(0.05);
    ref.labels({ model: 'a', variant: 'fp32' }).observe(0.05);
    expect(await mine.metrics()).toBe(await theirs.metrics());
  });

  it('a hot counter child\'s increments are in every read, and mix with plain inc()', async () => {
    const r = new Registry();
    const c = hotCounter({ name: 'y_total', help: 'h', labelNames: ['model', 'code'] as const, registers: [r] });
    const ok = c.hot({ model: 'a', code: 'OK' });
    ok.inc();
    ok.inc(4);
    c.inc({ model: 'a', code: 'OK' }, 2);
    c.hot({ model: 'a', code: 'OK' }).inc(); // the same series from a second child
    const read = async (): Promise<number> => (await c.get()).values.find((v) => v.labels['code'] === 'OK')?.value ?? -1;
    expect(await read()).toBe(8);
    expect(await read()).toBe(8); // folded once, not again
    ok.inc();
    expect(await r.metrics()).toContain('y_total{model="a",code="OK"} 9');
    expect(() => c.hot({ model: 'a', nope: 'x' } as never)).toThrow(/unknown label "nope"/);
    // A reset drops what was added before it, also increments not yet folded in.
    ok.inc(3);
    c.reset();
    ok.inc();
    expect(await read()).toBe(1);
  });
});
