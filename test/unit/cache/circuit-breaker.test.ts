import { describe, expect, it } from 'vitest';
import { BreakerState, CircuitBreaker, type BreakerStateValue } from '../../../src/cache/circuit-breaker.js';

function breaker(threshold = 3, openMs = 1000) {
  let now = 0;
  const changes: BreakerStateValue[] = [];
  const b = new CircuitBreaker({ failureThreshold: threshold, openMs, now: () => now, onStateChange: (s) => changes.push(s) });
  return { b, changes, advance: (ms: number) => { now += ms; } };
}

describe('circuit breaker', () => {
  it('stays closed below the failure threshold and a success resets the count', () => {
    const { b } = breaker(3);
    b.failure(); b.failure(); b.success(); b.failure(); b.failure();
    expect(b.state).toBe(BreakerState.closed);
    expect(b.tryAcquire()).toBe(true);
  });

  it('opens after the threshold of consecutive failures and refuses calls while open', () => {
    const { b, changes, advance } = breaker(3, 1000);
    b.failure(); b.failure(); b.failure();
    expect(b.state).toBe(BreakerState.open);
    expect(b.stateName).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    advance(999);
    expect(b.tryAcquire()).toBe(false);
    expect(changes).toEqual([BreakerState.open]);
  });

  it('goes half-open after openMs and lets exactly one trial through', () => {
    const { b, advance } = breaker(1, 1000);
    b.failure();
    advance(1000);
    expect(b.state).toBe(BreakerState.halfOpen);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    expect(b.tryAcquire()).toBe(false);
  });

  it('closes when the half-open trial succeeds', () => {
    const { b, changes, advance } = breaker(1, 1000);
    b.failure();
    advance(1000);
    expect(b.tryAcquire()).toBe(true);
    b.success();
    expect(b.state).toBe(BreakerState.closed);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(changes).toEqual([BreakerState.open, BreakerState.halfOpen, BreakerState.closed]);
  });

  it('reopens for another full period when the half-open trial fails', () => {
    const { b, advance } = breaker(1, 1000);
    b.failure();
    advance(1500);
    expect(b.tryAcquire()).toBe(true);
    b.failure();
    expect(b.state).toBe(BreakerState.open);
    advance(999);
    expect(b.tryAcquire()).toBe(false);
    advance(1);
    expect(b.tryAcquire()).toBe(true);
  });

  it('counts a released call as neither success nor failure while closed', () => {
    const { b } = breaker(3);
    b.failure(); b.failure(); b.release(); b.release();
    expect(b.state).toBe(BreakerState.closed);
    b.failure();
    expect(b.state).toBe(BreakerState.open); // the released calls did not reset the run of failures
  });

  it('frees the half-open trial on a release, so the next caller probes and decides', () => {
    const { b, advance } = breaker(1, 1000);
    b.failure();
    advance(1000);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.release();
    expect(b.state).toBe(BreakerState.halfOpen);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.success();
    expect(b.state).toBe(BreakerState.closed);
  });

  it('ignores a late success while open (a call started before the outage proves nothing)', () => {
    const { b } = breaker(1, 1000);
    b.failure();
    b.success();
    expect(b.state).toBe(BreakerState.open);
  });
});
