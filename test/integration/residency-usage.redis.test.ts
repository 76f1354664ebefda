/**
 * Usage history in a real redis-server: the store's round trip (one hash per model, a foreign hash ignored),
 * a server that persists at shutdown and a restarted one that starts from it, and a start-up whose Redis is
 * down (the history is skipped; serving is not delayed beyond the store's bound).
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisUsageStore } from '../../src/residency/redis-usage-store.js';
import { ModelUsage } from '../../src/residency/usage-predictor.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { fleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';

let redis: TestRedis;
let raw: Redis;
let repo: FleetRepo;

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  raw.on('error', () => undefined);
  await raw.connect();
  repo = fleetRepo([{ name: 'alpha', priority: 5 }, { name: 'beta', priority: 1 }]);
});

afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
  repo?.remove();
});

const MONDAY = Date.UTC(2026, 0, 5);

describe('RedisUsageStore', () => {
  it('round-trips snapshots as one hash per model and ignores hashes it cannot read', async () => {
    const prefix = `test:${randomUUID()}:`;
    const store = new RedisUsageStore(redis.url, prefix);
    try {
      const u = new ModelUsage(900, MONDAY);
      for (let t = MONDAY; t < MONDAY + 3 * 3_600_000; t += 10_000) { u.record(t, 3); if (t % 60_000 === 0) u.fold(t); }
      const snap = u.snapshot(MONDAY + 3 * 3_600_000);
      await store.save({ 'm-1': snap });
      expect(await raw.type(`{${prefix}usage}:m-1`)).toBe('hash');
      expect(await raw.hget(`{${prefix}usage}:m-1`, 'total')).toBe(String(snap.total));
      // Another writer's garbage under the same naming is not trusted.
      await raw.hset(`{${prefix}usage}:m-2`, { format: '1', ewma: 'NaN', week: '1,2' });
      await raw.sadd(`{${prefix}usage}:models`, 'm-2');
      const loaded = await store.load();
      expect(Object.keys(loaded)).toEqual(['m-1']);
      expect(loaded['m-1']).toEqual(snap);
    } finally {
      await store.close();
    }
  });
});

describe('a server with REDIS_URL persists usage there', () => {
  it('writes at shutdown, and the next server starts from it', async () => {
    const prefix = `test:${randomUUID()}:`;
    const config = { modelRepository: repo.root, preloadTop: 0, redisUrl: redis.url, cache: { redisKeyPrefix: prefix }, residency: { tickMs: 3_600_000 } };
    const a = await startTestServer({ config });
    for (let i = 0; i < 9; i++) await a.call('Predict', repo.request('beta', i));
    await a.close();
    expect(await raw.hget(`{${prefix}usage}:beta`, 'total')).toBe('9');
    expect(await raw.exists(`{${prefix}usage}:alpha`)).toBe(0); // never used: nothing written
    const b: TestServer = await startTestServer({ config });
    try {
      const { models } = await b.call('ListModels', {});
      const beta = models.find((m: { name: string }) => m.name === 'beta');
      expect(beta.predictedDemand).toBeGreaterThan(0);
    } finally {
      await b.close();
    }
  });

  it('starts without history, and without waiting long, when Redis is unreachable', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    });
    const t0 = Date.now();
    const srv = await startTestServer({ config: { modelRepository: repo.root, preloadTop: 2, redisUrl: `redis://127.0.0.1:${port}`, residency: { tickMs: 3_600_000 } } });
    try {
      expect(Date.now() - t0).toBeLessThan(10_000);
      const { models } = await srv.call('ListModels', {});
      expect(models.every((m: { state: string }) => m.state === 'READY')).toBe(true);
    } finally {
      await srv.close();
    }
  });
});
