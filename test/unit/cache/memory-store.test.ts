import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { L1_ENTRY_OVERHEAD_BYTES, MemoryStore } from '../../../src/cache/memory-store.js';
import { cacheStoreTests } from '../../helpers/cache-store-suite.js';

cacheStoreTests({
  name: 'MemoryStore (L1)',
  create: async ({ maxValueBytes }) => new MemoryStore({ maxEntries: 1000, maxBytes: 1024 * 1024, maxValueBytes }),
  plant: async (store, key, bytes) => (store as MemoryStore).putRawForTest(key, bytes, 60),
});

describe('MemoryStore bounds', () => {
  const entryCost = (key: string, payload: number): number => payload + 8 + key.length * 2 + L1_ENTRY_OVERHEAD_BYTES;

  it('evicts the least recently used entries when the byte budget is exceeded', () => {
    const perEntry = entryCost('k00', 1000);
    const s = new MemoryStore({ maxEntries: 1000, maxBytes: perEntry * 4 });
    for (let i = 0; i < 4; i++) s.setSync(`k0${i}`, randomBytes(1000), 60);
    expect(s.size).toBe(4);
    s.getSync('k00'); // k00 is now the most recently used; k01 is the coldest
    s.setSync('k04', randomBytes(1000), 60);
    expect(s.size).toBe(4);
    expect(s.bytes).toBeLessThanOrEqual(perEntry * 4);
    expect(s.getSync('k01')).toBeUndefined();
    expect(s.getSync('k00')).toBeDefined();
    expect(s.getSync('k04')).toBeDefined();
  });

  it('keeps at most maxEntries entries', () => {
    const s = new MemoryStore({ maxEntries: 10, maxBytes: 1024 * 1024 });
    for (let i = 0; i < 25; i++) s.setSync(`k${i}`, Uint8Array.of(i), 60);
    expect(s.size).toBe(10);
    expect(s.getSync('k24')).toBeDefined();
    expect(s.getSync('k0')).toBeUndefined();
  });

  it('charges bookkeeping per entry so many tiny rows cannot overrun the budget', () => {
    const s = new MemoryStore({ maxEntries: 1_000_000, maxBytes: 64 * 1024 });
    for (let i = 0; i < 5000; i++) s.setSync(`key-${i}`, Uint8Array.of(1, 2, 3, 4), 60);
    expect(s.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(s.size).toBeLessThan(5000);
  });

  it('refuses to be built with zero entries (disable L1 by not creating it)', () => {
    expect(() => new MemoryStore({ maxEntries: 0, maxBytes: 1024 })).toThrow(/maxEntries/);
  });
});
