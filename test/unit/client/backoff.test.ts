import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryPolicy, DEFAULT_RETRY_POLICY } from '../../../src/client/backoff.js';

describe('backoff', () => {
  const p = retryPolicy({ maxAttempts: 5, initialBackoffMs: 10, maxBackoffMs: 50 });

  it('doubles the cap per retry up to maxBackoffMs', () => {
    expect([1, 2, 3, 4, 5].map((r) => backoffDelayMs(p, r, () => 1))).toEqual([10, 20, 40, 50, 50]);
  });

  it('jitters within [cap/2, cap]', () => {
    expect(backoffDelayMs(p, 2, () => 0)).toBe(10);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelayMs(p, 3);
      expect(d).toBeGreaterThanOrEqual(20);
      expect(d).toBeLessThanOrEqual(40);
    }
  });

  it('fills defaults and rejects impossible policies', () => {
    expect(retryPolicy()).toEqual(DEFAULT_RETRY_POLICY);
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ initialBackoffMs: 100, maxBackoffMs: 10 })).toThrow(/initialBackoffMs/);
  });
});
