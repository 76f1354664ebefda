/**
 * Usage persisted in Redis: one small hash per model at `{<prefix>usage}:<model>` (fields: format, ewma,
 * ewmaAt, lastUsedAt, total, week, weekSeen, day, daySeen as comma-separated numbers, open as JSON), plus a
 * set `{<prefix>usage}:models` naming them. Every replica reads it at start and writes its own view
 * periodically (the last writer of a model wins: replicas behind one balancer see similar per-replica
 * traffic). A separate connection from the prediction cache's: its commands are rare and not latency-bound.
 */
import { connectRedis, type RedisClient } from '../cache/redis-connection.js';
import { isUsageSnapshot, type UsageSnapshot } from './usage-predictor.js';
import type { UsageSnapshots, UsageStore } from './usage-store.js';

/** Format version in each hash: a hash of another version is ignored. */
const FORMAT = '1';
/** A usage record nobody has written for this long disappears (a removed model's history is not kept forever). */
const TTL_SECONDS = 30 * 24 * 3600;

/** A usage store over Redis hashes. */
export class RedisUsageStore implements UsageStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(url: string, keyPrefix: string) {
    // One hash tag for every usage key: on a Redis Cluster they share a slot, so MULTI and pipelines stay on one node.
    this.#prefix = `{${keyPrefix}usage}:`;
    // The same connection rules as the cache's L2 (one server or a cluster, src/cache/redis-connection.ts), but
    // commands may wait for the connection: start-up reads the history once, with a bound.
    this.#client = connectRedis(url, { commandTimeoutMs: 2000, maxReconnectDelayMs: 10_000, connectionName: 'hub-inference-usage', failFast: false });
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
