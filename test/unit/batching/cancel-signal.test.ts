import { describe, it, expect } from 'vitest';
import { Cancellation, type CancelSignal } from '../../../src/batching/cancel-signal.js';

describe('Cancellation', () => {
  it('runs each registered listener once on cancel, skips removed ones, and ignores a second cancel', () => {
    const c = new Cancellation();
    const calls: string[] = [];
    const a = (): void => { calls.push('a'); };
    const b = (): void => { calls.push('b'); };
    c.addEventListener('abort', a);
    c.addEventListener('abort', b);
    c.removeEventListener('abort', a);
    expect(c.aborted).toBe(false);
    c.cancel();
    c.cancel();
    expect(c.aborted).toBe(true);
    expect(calls).toEqual(['b']);
    c.addEventListener('abort', a); // after the fact: never called (callers check `aborted` first)
    expect(calls).toEqual(['b']);
  });

  it('accepts an AbortSignal where a CancelSignal is expected', () => {
    const ac = new AbortController();
    const s: CancelSignal = ac.signal;
    let n = 0;
    s.addEventListener('abort', () => { n++; }, { once: true });
    ac.abort();
    expect(s.aborted).toBe(true);
    expect(n).toBe(1);
  });
});
