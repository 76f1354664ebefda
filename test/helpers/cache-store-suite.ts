/**
 * One behaviour suite every CacheStore must pass (the undici `cacheStoreTests` habit): each store's test
 * file calls `cacheStoreTests` with a fixture that builds the store and can plant raw bytes under a key
 * the way a foreign writer (or a damaged value) would.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CacheStore } from '../../src/cache/cache-store.js';
import { sealValue, NO_COMPRESSION } from '../../src/cache/value-envelope.js';

/** How a store's test file hands its store to the suite. */
export interface CacheStoreFixture {
  readonly name: string;
  /** A fresh, empty store accepting payloads up to `maxValueBytes`. */
  create(opts: { maxValueBytes: number }): Promise<CacheStore>;
  /** Writes `bytes` verbatim under `key`, bypassing the store's envelope. */
  plant(store: CacheStore, key: string, bytes: Uint8Array): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers the shared CacheStore behaviour tests. */
export function cacheStoreTests(fixture: CacheStoreFixture): void {
  describe(`CacheStore contract: ${fixture.name}`, () => {
    const open: CacheStore[] = [];
    const make = async (maxValueBytes = 64 * 1024): Promise<CacheStore> => {
      const s = await fixture.create({ maxValueBytes });
      open.push(s);
      return s;
    };
    const key = (): string => `k-${randomUUID()}`;
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('reads an unknown key as a miss', async () => {
      const s = await make();
      expect(await s.get(key())).toBeUndefined();
    });

    it('returns exactly the bytes that were set', async () => {
      const s = await make();
      const k = key();
      const v = randomBytes(300);
      expect(await s.set(k, v, 60)).toBe(true);
      expect(Buffer.from((await s.get(k))!)).toEqual(v);
    });

    it('stores an empty payload', async () => {
      const s = await make();
      const k = key();
      expect(await s.set(k, new Uint8Array(0), 60)).toBe(true);
      expect((await s.get(k))?.byteLength).toBe(0);
    });

    it('answers getMany in key order with misses in place', async () => {
      const s = await make();
      const [a, b, c] = [key(), key(), key()];
      await s.set(a, Uint8Array.of(1), 60);
      await s.set(c, Uint8Array.of(3), 60);
      const got = await s.getMany([a, b, c]);
      expect(got.map((v) => (v ? [...v] : undefined))).toEqual([[1], undefined, [3]]);
      expect(await s.getMany([])).toEqual([]);
    });

    it('replaces a value on a second set', async () => {
      const s = await make();
      const k = key();
      await s.set(k, Uint8Array.of(1, 1), 60);
      await s.set(k, Uint8Array.of(2), 60);
      expect([...(await s.get(k))!]).toEqual([2]);
    });

    it('forgets a deleted key', async () => {
      const s = await make();
      const k = key();
      await s.set(k, Uint8Array.of(9), 60);
      await s.delete(k);
      expect(await s.get(k)).toBeUndefined();
    });

    it('expires an entry after its TTL', async () => {
      const s = await make();
      const k = key();
      await s.set(k, Uint8Array.of(7), 0.15);
      expect(await s.get(k)).toBeDefined();
      await sleep(400);
      expect(await s.get(k)).toBeUndefined();
    });

    it('round-trips a large repetitive payload (compressed or not, the reader sees the same bytes)', async () => {
      const s = await make();
      const k = key();
      const v = new Uint8Array(32 * 1024).fill(42);
      expect(await s.set(k, v, 60)).toBe(true);
      expect(Buffer.from((await s.get(k))!).equals(Buffer.from(v))).toBe(true);
    });

    it('refuses a payload larger than maxValueBytes and keeps no stale value', async () => {
      const s = await make(1024);
      const k = key();
      expect(await s.set(k, randomBytes(1024), 60)).toBe(true);
      expect(await s.set(k, randomBytes(1025), 60)).toBe(false);
      const got = await s.get(k);
      // The old value may survive (Redis) or be dropped (L1); what must never come back is the refused one.
      expect(got === undefined || got.byteLength === 1024).toBe(true);
    });

    it('reads foreign or damaged values as misses', async () => {
      const s = await make();
      const good = sealValue(Uint8Array.of(1, 2, 3), NO_COMPRESSION).bytes;
      const wrongVersion = Uint8Array.from(good);
      wrongVersion[2] = 99;
      const truncated = good.subarray(0, good.byteLength - 1);
      const unknownEncoding = Uint8Array.from(good);
      unknownEncoding[3] = 7;
      // An LZ4 envelope claiming 1 GiB: must be rejected before anything is allocated.
      const bomb = Uint8Array.from([0x48, 0x43, 1, 1, 0, 0, 0, 0x40, 0, 0, 0, 0x40, 0xff, 0xff]);
      // An LZ4 envelope whose block is garbage.
      const badLz4 = Uint8Array.from([0x48, 0x43, 1, 1, 16, 0, 0, 0, 16, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
      const cases = [Buffer.from('plain text somebody else stored'), new Uint8Array(0), Uint8Array.of(0x48), wrongVersion, truncated, unknownEncoding, bomb, badLz4];
      for (const bytes of cases) {
        const k = key();
        await fixture.plant(s, k, bytes);
        expect(await s.get(k), `planted ${Buffer.from(bytes).toString('hex')}`).toBeUndefined();
      }
      const k = key();
      await fixture.plant(s, k, good);
      expect([...(await s.get(k))!]).toEqual([1, 2, 3]);
    });

    it('answers misses and refuses writes after close', async () => {
      const s = await fixture.create({ maxValueBytes: 1024 });
      const k = key();
      await s.set(k, Uint8Array.of(1), 60);
      await s.close();
      expect(await s.get(k)).toBeUndefined();
      expect(await s.set(k, Uint8Array.of(1), 60)).toBe(false);
    });
  });
}
