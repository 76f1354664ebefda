/**
 * Builds the ioredis client the L2 store talks to, for either form of `REDIS_URL` (see
 * src/config/redis-url.ts): a `Redis` for one server, a `Cluster` for `redis+cluster://` seed nodes. Both get
 * the same fail-fast settings, because a cache answer that comes late is worth nothing: no offline queue
 * (commands fail at once while disconnected), a client-side command timeout, one attempt per command,
 * auto-pipelining, and reconnects with capped backoff. It also answers which master serves a key, from the
 * slot map the cluster client keeps (the store keeps one circuit breaker per master).
 */
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { parseRedisUrl } from '../config/redis-url.js';

/** The client of one server or of a cluster. */
export type RedisClient = Redis | Cluster;

/** Connection settings shared by both forms. */
export interface RedisConnectionOptions {
  /** Client-side bound on every command. */
  readonly commandTimeoutMs: number;
  /** Longest pause between reconnect attempts. */
  readonly maxReconnectDelayMs: number;
  /** CLIENT SETNAME of the connections (default hub-inference-cache). */
  readonly connectionName?: string;
  /**
   * Whether commands fail at once while disconnected (the cache: a late answer is worth nothing; default true).
   * Off for rare, not latency-bound commands (usage history) that may be sent before the connection is up.
   */
  readonly failFast?: boolean;
}

const CONNECTION_NAME = 'hub-inference-cache';
const CONNECT_TIMEOUT_MS = 2000;

/** Builds (and starts connecting) the client `url` names. */
export function connectRedis(url: string, opts: RedisConnectionOptions): RedisClient {
  const backoff = (times: number): number => Math.min(50 * 2 ** Math.min(times, 10), opts.maxReconnectDelayMs);
  const target = parseRedisUrl(url);
  const connectionName = opts.connectionName ?? CONNECTION_NAME;
  const failFast = opts.failFast ?? true;
  if (target.kind === 'single') {
    return new Redis(url, {
      enableAutoPipelining: true,
      // Fail fast while disconnected instead of queueing requests that would answer too late to matter.
      enableOfflineQueue: !failFast,
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs,
      connectTimeout: CONNECT_TIMEOUT_MS,
      connectionName,
      retryStrategy: backoff,
    });
  }
  return new Cluster(target.seeds.map((s) => ({ host: s.host, port: s.port })), {
    // Auto-pipelining groups commands by the node that serves their slot: one write per node per tick.
    enableAutoPipelining: true,
    enableOfflineQueue: !failFast,
    // A command for a slot whose master is gone, or a cluster that says CLUSTERDOWN, fails at once instead of
    // being retried every 100 ms up to 16 times: the read is a miss either way, and retries would only pile
    // up behind the read budget. MOVED during resharding is still followed (it costs no delay).
    retryDelayOnFailover: 0,
    retryDelayOnClusterDown: 0,
    clusterRetryStrategy: backoff,
    // With TLS, connect to the names as written so the certificates' names match (ioredis would otherwise
    // resolve the seeds to IP addresses first).
    ...(target.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
    redisOptions: {
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs,
      connectTimeout: CONNECT_TIMEOUT_MS,
      connectionName,
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}

/** The node key (`host:port`) of the master serving `key`'s slot in a cluster, as the client last learned it. */
export function nodeOfKey(cluster: Cluster, key: string): string | undefined {
  return cluster.slots[calculateSlot(key)]?.[0];
}

/** The masters that serve at least one slot, as the client last learned them. */
export function clusterMasters(cluster: Cluster): Set<string> {
  const out = new Set<string>();
  for (const owners of cluster.slots) if (owners?.[0]) out.add(owners[0]);
  return out;
}
