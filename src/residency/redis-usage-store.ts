/**
 * Usage persisted in Redis: one small hash per model at `<prefix>usage:<model>` (fields: format, ewma,
 * ewmaAt, lastUsedAt, total, week, weekSeen, day, daySeen as comma-separated numbers, open as JSON), plus a
 * set `<prefix>usage:models` naming them. Every replica reads it at start and writes its own view
 * periodically (the last writer of a model wins: replicas behind one balancer see similar per-replica
 * traffic). A separate connection from the prediction cache's: its commands are rare and not latency-bound.
 */
import { Redis } from 'ioredis';
import { isUsageSnapshot, type UsageSnapshot } from './usage-predictor.js';
import type { UsageSnapshots, UsageStore } from './usage-store.js';

/** Format version in each hash: a hash of another version is ignored. */
const FORMAT = '1';
/** A usage record nobody has written for this long disappears (a removed model's history is not kept forever). */
const TTL_SECONDS = 30 * 24 * 3600;

/** A usage store over Redis hashes. */
export class RedisUsageStore implements UsageStore {
  readonly #client: Redis;
  readonly #prefix: string;

  constructor(url: string, keyPrefix: string) {
    this.#prefix = `${keyPrefix}usage:`;
    this.#client = new Redis(url, {
      lazyConnect: true,
      // Start-up waits for one read at most this long; a Redis that is down costs only the history.
      connectTimeout: 2000,
      commandTimeout: 2000,
      maxRetriesPerRequest: 1,
      connectionName: 'hub-inference-usage',
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 8), 10_000),
    });
    // Errors surface on the commands (and are logged by the caller); an unhandled 'error' event would crash.
    this.#client.on('error', () => undefined);
  }

  get description(): string {
    return `redis ${this.#prefix}*`;
  }

  async load(): Promise<UsageSnapshots> {
    const names = await this.#client.smembers(`${this.#prefix}models`);
    const out: Record<string, UsageSnapshot> = {};
    if (names.length === 0) return out;
    const pipe = this.#client.pipeline();
    for (const n of names) pipe.hgetall(this.#prefix + n);
    const replies = (await pipe.exec()) ?? [];
    names.forEach((n, i) => {
      const [err, h] = replies[i] ?? [null, undefined];
      if (err || !h) return;
      const s = decode(h as Record<string, string>);
      if (s) out[n] = s;
    });
    return out;
  }

  async save(snapshots: UsageSnapshots): Promise<void> {
    const entries = Object.entries(snapshots);
    if (entries.length === 0) return;
    const pipe = this.#client.multi();
    for (const [name, s] of entries) {
      const key = this.#prefix + name;
      pipe.hset(key, encode(s));
      pipe.expire(key, TTL_SECONDS);
    }
    pipe.sadd(`${this.#prefix}models`, ...entries.map(([n]) => n));
    await pipe.exec();
  }

  async close(): Promise<void> {
    this.#client.disconnect();
  }
}

function encode(s: UsageSnapshot): Record<string, string> {
  return {
    format: FORMAT, ewma: String(s.ewma), ewmaAt: String(s.ewmaAt), lastUsedAt: String(s.lastUsedAt), total: String(s.total),
    week: s.week.join(','), weekSeen: s.weekSeen.join(','), day: s.day.join(','), daySeen: s.daySeen.join(','),
    open: JSON.stringify(s.open),
  };
}

function decode(h: Record<string, string>): UsageSnapshot | undefined {
  if (h['format'] !== FORMAT) return undefined;
  const list = (k: string): number[] => (h[k] ?? '').split(',').map(Number);
  let open: unknown;
  try { open = JSON.parse(h['open'] ?? ''); } catch { return undefined; }
  const s = {
    ewma: Number(h['ewma']), ewmaAt: Number(h['ewmaAt']), lastUsedAt: Number(h['lastUsedAt']), total: Number(h['total']),
    week: list('week'), weekSeen: list('weekSeen'), day: list('day'), daySeen: list('daySeen'), open,
  };
  return isUsageSnapshot(s) ? s : undefined;
}
