import { describe, it, expect } from 'vitest';
import { MemoryBudget, defaultMemoryFactor, BYTES_PER_FILE_BYTE_PER_SESSION } from '../../../src/residency/memory-budget.js';

describe('memory budget', () => {
  it('charges, releases and says how much must be freed', () => {
    const b = new MemoryBudget(100);
    b.charge('a/1', 60);
    expect(b.shortfall(30)).toBe(0);
    expect(b.shortfall(50)).toBe(10);
    b.charge('a/1', 70); // a reload replaces the charge
    expect(b.used).toBe(70);
    expect(b.release('a/1')).toBe(70);
    expect(b.release('a/1')).toBe(0);
    expect(b.used).toBe(0);
  });

  it('is unlimited without a limit', () => {
    const b = new MemoryBudget(undefined);
    b.charge('a/1', 1e12);
    expect(b.shortfall(1e12)).toBe(0);
  });

  it('charges per engine session: one per worker, plus worker 0 wide session when it exists', () => {
    expect(defaultMemoryFactor(2, 2)).toBe(3 * BYTES_PER_FILE_BYTE_PER_SESSION);
    expect(defaultMemoryFactor(2, 1)).toBe(2 * BYTES_PER_FILE_BYTE_PER_SESSION);
    expect(defaultMemoryFactor(1, 4)).toBe(BYTES_PER_FILE_BYTE_PER_SESSION);
    // The main thread's all-core session for lone batches (HUB_IDLE_MAIN_MAX_US) is one more, only beside a wide one.
    expect(defaultMemoryFactor(2, 2, 10_000)).toBe(4 * BYTES_PER_FILE_BYTE_PER_SESSION);
    expect(defaultMemoryFactor(2, 2, 0)).toBe(3 * BYTES_PER_FILE_BYTE_PER_SESSION);
    expect(defaultMemoryFactor(2, 1, 10_000)).toBe(2 * BYTES_PER_FILE_BYTE_PER_SESSION);
  });
});
