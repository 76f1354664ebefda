/** RedisStore test fixtures shared by the single-server and the cluster suites. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '../../src/cache/redis-store.js';

/**
 * A connected store with a private key prefix and a generous read timeout unless a test is about timeouts;
 * it is pushed onto `stores` so the suite closes it.
 */
export async function newTestStore(url: string, stores: RedisStore[], overrides: Partial<RedisStoreOptions> = {}): Promise<RedisStore> {
  const s = new RedisStore({
    url,
    keyPrefix: `test:${randomUUID()}:`,
    readTimeoutMs: 2000,
    commandTimeoutMs: 2000,
    compression: { thresholdBytes: 256, minSavingRatio: 0.1 },
    breakerFailureThreshold: 3,
    breakerOpenMs: 200,
    maxReconnectDelayMs: 100,
    ...overrides,
  });
  stores.push(s);
  expect(await s.waitReady(10_000)).toBe(true);
  return s;
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true (bounded; fails the test when the bound passes). */
export async function eventually(probe: () => Promise<boolean>, what: string, boundMs = 20_000): Promise<void> {
  const end = Date.now() + boundMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await sleep(50);
  }
  throw new Error(`not within ${boundMs} ms: ${what}`);
}
