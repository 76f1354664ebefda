/**
 * RedisStore against a real redis-server: the shared CacheStore suite, the compression header as stored
 * in Redis, and the failure modes (frozen server -> bounded misses and an open breaker; killed server ->
 * fast misses and dropped writes; restarted server -> hits resume). Fault tests need a server the tests
 * own, so they are skipped when REDIS_URL points at a shared one.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '../../../src/cache/redis-store.js';
import { eventually, newTestStore, sleep } from '../../helpers/redis-store-fixture.js';
import { metrics } from '../../../src/metrics/metrics.js';
import { setLogLevel } from '../../../src/logging/logger.js';
import { startRedis, type TestRedis } from '../../helpers/redis-server.js';
import { cacheStoreTests } from '../../helpers/cache-store-suite.js';

setLogLevel('silent');

let redis: TestRedis;
let raw: Redis;
const stores: RedisStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  raw.on('error', () => undefined); // the fault tests kill the server under this client too
  await raw.connect();
});

afterAll(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  raw.disconnect();
  await redis.stop();
});

const makeStore = (overrides: Partial<RedisStoreOptions> = {}): Promise<RedisStore> => newTestStore(redis.url, stores, overrides);

cacheStoreTests({
  name: 'RedisStore (L2)',
  create: ({ maxValueBytes }) => makeStore({ maxValueBytes }),
  plant: async (store, key, bytes) => {
    await raw.set((store as RedisStore).keyPrefix + key, Buffer.from(bytes), 'EX', 60);
  },
});

describe('RedisStore encoding in Redis', () => {
  it('stores random float32 rows raw and repetitive rows LZ4-compressed, marked in the header byte', async () => {
    const s = await makeStore();
    const f = new Float32Array(1024);
    for (let i = 0; i < f.length; i++) f[i] = Math.random();
    const random = new Uint8Array(f.buffer);
    const repetitive = new Uint8Array(new Float32Array(1024).fill(1.25).buffer);
    await s.set('random', random, 60);
    await s.set('repetitive', repetitive, 60);
    const storedRandom = (await raw.getBuffer(`${s.keyPrefix}random`))!;
    const storedRepetitive = (await raw.getBuffer(`${s.keyPrefix}repetitive`))!;
    expect(storedRandom[3]).toBe(0);
    expect(storedRandom.byteLength).toBe(random.byteLength + 8);
    expect(storedRepetitive[3]).toBe(1);
    expect(storedRepetitive.byteLength).toBeLessThan(repetitive.byteLength / 4);
    expect(Buffer.from((await s.get('repetitive'))!).equals(Buffer.from(repetitive))).toBe(true);
    const st = s.stats();
    expect(st.compressedWrites).toBe(1);
    expect(st.compressionSavedBytes).toBe(repetitive.byteLength + 8 - storedRepetitive.byteLength);
  });

  it('sets a TTL on every key', async () => {
    const s = await makeStore();
    await s.set('ttl', Uint8Array.of(1), 300);
    const pttl = await raw.pttl(`${s.keyPrefix}ttl`);
    expect(pttl).toBeGreaterThan(290_000);
    expect(pttl).toBeLessThanOrEqual(300_000);
  });

  it('reads many keys with one MGET and counts hits and misses', async () => {
    const s = await makeStore();
    await s.set('a', Uint8Array.of(1), 60);
    await s.set('c', Uint8Array.of(3), 60);
    const got = await s.getMany(['a', 'b', 'c']);
    expect(got.map((v) => v?.[0])).toEqual([1, undefined, 3]);
    expect(s.stats()).toMatchObject({ hits: 2, misses: 1 });
  });
});

/** Blocks the event loop for `ms`, as a long GC pause or a big synchronous decode would. */
function stallEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
}

// Needs no control over the server (Redis stays healthy throughout), so it also runs against REDIS_URL.
describe('RedisStore breaker while the event loop stalls and Redis is healthy', () => {
  it('stays closed when stalls of 40 ms make reads lose the race to their 5 ms budget', async () => {
    const s = await makeStore({ readTimeoutMs: 5, commandTimeoutMs: 250 });
    await s.set('k', Uint8Array.of(7), 60);
    let misses = 0;
    for (let i = 0; i < 12; i++) {
      const read = s.get('k');
      stallEventLoop(40); // the 5 ms budget's timer and Redis's reply are both due when it ends
      if ((await read) === undefined) misses += 1;
    }
    expect(misses).toBeGreaterThan(0); // the budget did run out (this is the case that used to open the breaker)
    await new Promise((r) => setTimeout(r, 50)); // let every command settle
    expect(s.breakerState).toBe('closed');
    expect((await s.get('k'))?.[0]).toBe(7);
  });

  it('stays closed through 12 stalls of 50 ms that outlast the 30 ms command timeout of four reads in flight', async () => {
    const s = await makeStore({ readTimeoutMs: 5, commandTimeoutMs: 30, breakerFailureThreshold: 3 });
    expect(await s.set('k', Uint8Array.of(7), 60)).toBe(true);
    let misses = 0;
    for (let i = 0; i < 12; i++) {
      const reads = Array.from({ length: 4 }, () => s.get('k'));
      const write = s.set(`w${i}`, Uint8Array.of(i), 60); // writes are judged the same way
      // Auto-pipelining writes the MGETs on the next tick: let that happen, so the stall starts with them in flight
      // and Redis's replies wait in the socket while every timer (read budget and command timeout) falls due.
      await new Promise((r) => setImmediate(r));
      stallEventLoop(50);
      misses += (await Promise.all(reads)).filter((v) => v === undefined).length;
      await write;
      await sleep(5); // the loop breathes between stalls, as a server's does
      expect(s.breakerState, `after stall ${i + 1}`).toBe('closed');
    }
    // The stalls did cost these requests their reads (the budget must not wait longer), but not the breaker.
    expect(misses).toBeGreaterThan(0);
    expect(s.stats().stalledTimeouts).toBeGreaterThan(0); // the command timeouts did fire, late
    expect(s.stats().skipped).toBe(0);
    await eventually(async () => (await s.get('k'))?.[0] === 7, 'a hit after the stalls');
  });
});

describe.skipIf(process.env['REDIS_URL'])('RedisStore when Redis fails', () => {
  afterEach(async () => {
    redis.resume();
    await raw.ping().catch(() => undefined);
  });

  it('answers misses when Redis is frozen, opens the breaker, and recovers after it thaws', async () => {
    const s = await makeStore({ readTimeoutMs: 5, commandTimeoutMs: 250 });
    await s.set('k', Uint8Array.of(42), 60);
    // A 5 ms budget can miss on a busy machine; what matters is that a hit is possible before the freeze.
    await eventually(async () => (await s.get('k'))?.[0] === 42, 'a hit before the freeze');
    redis.pause();
    try {
      // Every read is a miss within its 5 ms budget; the breaker opens once the commands themselves fail
      // (their 250 ms command timeout), not because a read budget ran out.
      const t0 = Date.now();
      while (s.breakerState !== 'open' && Date.now() - t0 < 5000) {
        const r0 = Date.now();
        expect(await s.get('k')).toBeUndefined();
        expect(Date.now() - r0).toBeLessThan(200);
      }
      expect(s.breakerState).toBe('open');
      expect(await s.get('k')).toBeUndefined();
      const st = s.stats();
      expect(st.timeouts).toBeGreaterThanOrEqual(3);
      expect(st.skipped).toBeGreaterThan(0); // the breaker stopped asking
      expect((await metrics.redisBreakerState.get()).values[0]?.value).toBe(2);
      expect(await s.set('other', Uint8Array.of(1), 60)).toBe(false);
    } finally {
      redis.resume();
    }
    await eventually(async () => (await s.get('k'))?.[0] === 42, 'hits resume after the server thaws');
    expect(s.breakerState).toBe('closed');
  });

  it('deletes a value under its key that does not open (foreign or old format)', async () => {
    const s = await makeStore();
    await raw.set(s.keyPrefix + 'foreign', Buffer.from('{"not":"ours"}'));
    expect(await s.get('foreign')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 50));
    expect(await raw.exists(s.keyPrefix + 'foreign')).toBe(0);
  });

  it('answers misses and drops writes while Redis is down, then hits resume after a restart', async () => {
    const s = await makeStore({ readTimeoutMs: 50, commandTimeoutMs: 250 });
    await s.set('before', Uint8Array.of(1), 60);
    await redis.stop();
    const results = await Promise.all(Array.from({ length: 50 }, () => s.getMany(['before', 'x'])));
    expect(results.flat().every((v) => v === undefined)).toBe(true);
    expect(await s.set('during', Uint8Array.of(2), 60)).toBe(false);
    // Once the client has seen the connection close, the outage is known: answered without sending anything.
    await eventually(async () => { await s.get('probe'); return s.stats().unavailable > 0; }, 'the store notices the outage');
    await redis.restart();
    // The restarted server is empty (no persistence): write, then read back once the client reconnected.
    await eventually(async () => (await s.set('after', Uint8Array.of(3), 60)) && (await s.get('after'))?.[0] === 3, 'hits resume after restart');
    expect(await s.get('before')).toBeUndefined();
    await eventually(async () => raw.status === 'ready', 'test client reconnects');
  });

  it('starts and serves misses when Redis is unreachable from the beginning', async () => {
    const s = new RedisStore({
      url: 'redis://127.0.0.1:1', keyPrefix: 'test:', readTimeoutMs: 5, compression: { thresholdBytes: 256, minSavingRatio: 0.1 },
      breakerFailureThreshold: 2, breakerOpenMs: 1000, maxReconnectDelayMs: 100,
    });
    stores.push(s);
    expect(await s.get('k')).toBeUndefined();
    expect(await s.set('k', randomBytes(10), 60)).toBe(false);
    expect(await s.getMany(['a', 'b'])).toEqual([undefined, undefined]);
    await s.close();
  });
});
