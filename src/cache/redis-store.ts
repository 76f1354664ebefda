/**
 * L2: Redis through ioredis, built so Redis can never take the service down. Reads race a short timer
 * (`readTimeoutMs`, 20 ms by default) and count as misses when it fires; every command also carries a
 * client-side `commandTimeout` so no promise waits forever on a stalled server. A circuit breaker stops
 * asking Redis after consecutive failures of the commands themselves (errors, or the command timeout),
 * never because a timer fired first on a late event loop: the read budget's timer only costs its request a
 * miss, and a command timeout that fired late is no verdict at all (see #reportFailure). While disconnected,
 * commands fail at once (no offline queue) and ioredis reconnects by itself with capped backoff. 'error'
 * events are always handled (logged once per outage). Writes are SET ... PX, coalesced by auto-pipelining.
 *
 * The same store serves one server or a Redis Cluster (the client comes from redis-connection.ts). On one
 * server a multi-key read is one MGET under one breaker. A cluster refuses an MGET whose keys span hash slots
 * (CROSSSLOT), and row keys are spread over all 16384 slots, so there the keys are sent as single GETs, which
 * auto-pipelining writes as one batch per master (measured faster than one MGET per slot:
 * docs/benchmarks/2026-12-01-redis-cluster.md). Each master has its own breaker, so a lost master costs the
 * hits on its slots only: the others keep answering.
 */
import { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { moduleLogger } from '../logging/logger.js';
import { metrics } from '../metrics/metrics.js';
import { DEFAULT_MAX_VALUE_BYTES, type CacheStore } from './cache-store.js';
import { BreakerState, CircuitBreaker, type BreakerStateValue } from './circuit-breaker.js';
import { clusterMasters, connectRedis, nodeOfKey, type RedisClient } from './redis-connection.js';
import { CorruptValueError, Encoding, openValue, sealValue, type CompressionPolicy } from './value-envelope.js';

/** L2 settings. */
export interface RedisStoreOptions {
  /** One server (redis://, rediss://) or a cluster's seed nodes (redis+cluster://, rediss+cluster://): see src/config/redis-url.ts. */
  readonly url: string;
  /** Prepended to every key (namespaces this service and its format version). */
  readonly keyPrefix: string;
  /** A read waits at most this long, then counts as a miss. */
  readonly readTimeoutMs: number;
  /**
   * Client-side bound on any command (writes, and reads after their timer fired), and the latency above which
   * a command counts against Redis in the breaker. Default 250 ms.
   */
  readonly commandTimeoutMs?: number;
  /** Refuse payloads above this (default 1 MiB). */
  readonly maxValueBytes?: number;
  readonly compression: CompressionPolicy;
  readonly breakerFailureThreshold: number;
  readonly breakerOpenMs: number;
  /** Longest pause between reconnect attempts (default 1000 ms). */
  readonly maxReconnectDelayMs?: number;
  readonly logger?: Logger;
}

/** Counters of one Redis store (per instance; the prom-client metrics are process-wide). */
export type RedisStoreStats = {
  hits: number;
  misses: number;
  /** Keys answered as misses without asking Redis (disconnected, breaker open, slot without a known master, or closed store). */
  skipped: number;
  /** Calls (reads or writes) not sent because the connection was down. */
  unavailable: number;
  timeouts: number;
  errors: number;
  corrupt: number;
  writes: number;
  writeFailures: number;
  /** Writes not attempted because the connection was down or the breaker open. */
  writesDropped: number;
  tooLarge: number;
  compressedWrites: number;
  compressionSavedBytes: number;
  /** Command timeouts that fired late on a stalled event loop: not held against Redis by the breaker. */
  stalledTimeouts: number;
};

const TIMEOUT = Symbol('timeout');
/** A command timeout reported later than this fraction of its delay past its due time fired on a stalled loop. */
const LATE_TIMER_FRACTION = 0.25;

function zeroStats(): RedisStoreStats {
  return { hits: 0, misses: 0, skipped: 0, unavailable: 0, timeouts: 0, errors: 0, corrupt: 0, writes: 0, writeFailures: 0, writesDropped: 0, tooLarge: 0, compressedWrites: 0, compressionSavedBytes: 0, stalledTimeouts: 0 };
}

function errorKind(e: unknown): 'timeout' | 'unavailable' | 'error' {
  const msg = e instanceof Error ? e.message : String(e);
  if (/timed out/i.test(msg)) return 'timeout';
  // MOVED/CLUSTERDOWN/redirections: the slot's master is unreachable (a cluster node lost or moving).
  if (/writeable|closed|max retries|ECONNREFUSED|ECONNRESET|EPIPE|offline|^MOVED |CLUSTERDOWN|redirections|isn't ready/i.test(msg)) return 'unavailable';
  return 'error';
}

/** The breaker key of a single server (a cluster's are its masters' `host:port`). */
const SINGLE = 'redis';
const STATE_NAMES = ['closed', 'half-open', 'open'] as const;

/** The Redis tier. */
export class RedisStore implements CacheStore {
  /** Tier name. */
  readonly tier = 'l2' as const;
  /** Largest accepted payload. */
  readonly maxValueBytes: number;
  /** The key prefix (tests plant values under it). */
  readonly keyPrefix: string;
  readonly #client: RedisClient;
  /** The same client when it is a cluster's. */
  readonly #cluster: Cluster | undefined;
  /** One breaker per server: SINGLE, or each cluster master's `host:port`. */
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #breakerFailureThreshold: number;
  readonly #breakerOpenMs: number;
  readonly #readTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  readonly #compression: CompressionPolicy;
  readonly #log: Logger;
  #stats = zeroStats();
  #closed = false;
  #down = false;

  constructor(opts: RedisStoreOptions) {
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.keyPrefix = opts.keyPrefix;
    this.#readTimeoutMs = opts.readTimeoutMs;
    this.#commandTimeoutMs = opts.commandTimeoutMs ?? 250;
    this.#compression = opts.compression;
    this.#log = opts.logger ?? moduleLogger('cache');
    this.#breakerFailureThreshold = opts.breakerFailureThreshold;
    this.#breakerOpenMs = opts.breakerOpenMs;
    this.#client = connectRedis(opts.url, { commandTimeoutMs: this.#commandTimeoutMs, maxReconnectDelayMs: opts.maxReconnectDelayMs ?? 1000 });
    this.#cluster = this.#client instanceof Cluster ? this.#client : undefined;
    if (!this.#cluster) this.#breakerFor(SINGLE);
    this.#publishBreakers();
    this.#client.on('error', (e: Error) => {
      if (!this.#down && !this.#closed) this.#log.warn({ err: e.message }, 'redis cache unavailable; serving from L1 and the models until it returns');
      this.#down = true;
    });
    this.#client.on('ready', () => {
      if (this.#down) this.#log.info('redis cache reconnected');
      this.#down = false;
      this.#syncMasters();
    });
    // A cluster's slot map is refreshed every few seconds and after MOVED: keep one breaker per master in it.
    this.#cluster?.on('refresh', () => this.#syncMasters());
  }

  /** ioredis connection status ('ready' when usable; for a cluster, the cluster client's status). */
  get status(): string {
    return this.#client.status;
  }

  /** Breaker state name (with a cluster, the worst of its masters'). */
  get breakerState(): 'closed' | 'half-open' | 'open' {
    return STATE_NAMES[this.#worstState()];
  }

  /** Each server's breaker state, by `host:port` for a cluster's masters (tests and diagnostics). */
  breakers(): Record<string, 'closed' | 'half-open' | 'open'> {
    return Object.fromEntries([...this.#breakers].map(([node, b]) => [node, b.stateName]));
  }

  /** A copy of this store's counters. */
  stats(): RedisStoreStats {
    return { ...this.#stats };
  }

  /** Zeroes the counters (benchmarks measure phases separately). */
  resetStats(): void {
    this.#stats = zeroStats();
  }

  /** Resolves once connected, or `false` after `timeoutMs` (start-up and tests; serving never waits). */
  async waitReady(timeoutMs: number): Promise<boolean> {
    if (this.#client.status === 'ready') return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.#client.off('ready', onReady);
        resolve(ok);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#client.on('ready', onReady);
    });
  }

  /** See CacheStore.get. */
  async get(key: string): Promise<Uint8Array | undefined> {
    return (await this.getMany([key]))[0];
  }

  /**
   * See CacheStore.getMany: one MGET per server (a cluster: pipelined GETs per master), all bounded together
   * by readTimeoutMs. What arrived within the budget is used; a server that did not answer costs only its keys.
   */
  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    const out = new Array<Uint8Array | undefined>(keys.length).fill(undefined);
    if (keys.length === 0) return out;
    if (this.#closed || !this.#usable()) {
      this.#stats.skipped += keys.length;
      return out;
    }
    const full = keys.map((k) => this.keyPrefix + k);
    // Replies land here as each server answers: null = absent, undefined = not (yet) answered.
    const replies = new Array<Buffer | null | undefined>(keys.length);
    let expired = false;
    const reads: Promise<void>[] = [];
    for (const [node, indexes] of this.#route(full)) {
      const breaker = node === undefined ? undefined : this.#breakerFor(node);
      if (!breaker?.tryAcquire()) {
        this.#stats.skipped += indexes.length;
        continue;
      }
      const startedAt = performance.now();
      // Settle the command into a value either way so a late rejection after the timer won is still handled.
      const command = this.#read(indexes.map((i) => full[i] as string)).then((values) => ({ values }), (error: unknown) => ({ error }));
      // The breaker hears how the COMMAND went (a reply, or an ioredis error such as its commandTimeout), never
      // how the read budget's timer went: a timer can lose only because the event loop was late, while Redis
      // answered in time; that must cost this request a miss, not everyone a breaker outage.
      void command.then((r) => {
        if ('error' in r) this.#reportFailure(breaker, r.error, startedAt); else breaker.success();
      });
      reads.push(command.then((r) => {
        if (expired) return; // the request has moved on: a late answer or error is nobody's
        if ('error' in r) {
          this.#stats.errors += 1;
          metrics.cacheErrors.inc({ tier: this.tier, kind: errorKind(r.error) });
          return;
        }
        r.values.forEach((v, j) => { replies[indexes[j] as number] = v ?? null; });
      }));
    }
    if (reads.length === 0) return out;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMEOUT>((resolve) => { timer = setTimeout(resolve, this.#readTimeoutMs, TIMEOUT); });
    const result = await Promise.race([Promise.all(reads), timeout]);
    clearTimeout(timer);
    expired = true;
    if (result === TIMEOUT) {
      this.#stats.timeouts += 1;
      metrics.cacheErrors.inc({ tier: this.tier, kind: 'timeout' });
    }
    replies.forEach((v, i) => {
      if (v === undefined) return;
      if (v === null) { this.#stats.misses += 1; return; }
      try {
        out[i] = openValue(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), this.maxValueBytes);
        this.#stats.hits += 1;
      } catch (e) {
        if (!(e instanceof CorruptValueError)) throw e;
        // Deleted: the key is under our prefix and its value failed to open (foreign, truncated, old format).
        void this.delete(keys[i] as string);
        this.#stats.corrupt += 1;
        this.#stats.misses += 1;
        metrics.cacheErrors.inc({ tier: this.tier, kind: 'corrupt' });
        this.#log.debug({ key: keys[i], reason: (e as Error).message }, 'unreadable redis cache value treated as a miss');
      }
    });
    return out;
  }

  /** See CacheStore.set: SET key value PX ttl, compressed when that pays. */
  async set(key: string, value: Uint8Array, ttlSeconds: number): Promise<boolean> {
    if (this.#closed) return false;
    if (value.byteLength > this.maxValueBytes) {
      this.#stats.tooLarge += 1;
      metrics.cacheErrors.inc({ tier: this.tier, kind: 'too_large' });
      return false;
    }
    const full = this.keyPrefix + key;
    if (!this.#usable()) {
      this.#stats.writesDropped += 1;
      return false;
    }
    const node = this.#cluster ? nodeOfKey(this.#cluster, full) : SINGLE;
    const breaker = node === undefined ? undefined : this.#breakerFor(node);
    if (!breaker?.tryAcquire()) {
      this.#stats.writesDropped += 1;
      return false;
    }
    const sealed = sealValue(value, this.#compression);
    const startedAt = performance.now();
    try {
      const ms = Math.max(1, Math.round(ttlSeconds * 1000));
      await this.#client.set(full, Buffer.from(sealed.bytes.buffer, sealed.bytes.byteOffset, sealed.bytes.byteLength), 'PX', ms);
      breaker.success();
      this.#stats.writes += 1;
      if (sealed.encoding === Encoding.lz4) {
        this.#stats.compressedWrites += 1;
        this.#stats.compressionSavedBytes += sealed.savedBytes;
        metrics.cacheCompressionSavedBytes.inc(sealed.savedBytes);
      }
      return true;
    } catch (e) {
      this.#reportFailure(breaker, e, startedAt);
      this.#stats.writeFailures += 1;
      metrics.cacheErrors.inc({ tier: this.tier, kind: errorKind(e) });
      return false;
    }
  }

  /** See CacheStore.delete. */
  async delete(key: string): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#client.del(this.keyPrefix + key);
    } catch {
      // A failed delete leaves a value that expires by its TTL.
    }
  }

  /** Closes the connection (QUIT when connected, bounded; then disconnect). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.#client.quit().catch(() => undefined),
        new Promise((resolve) => { timer = setTimeout(resolve, 500); }),
      ]);
      clearTimeout(timer);
    }
    this.#client.disconnect();
  }

  /**
   * Groups key indexes by the server that holds them: all under SINGLE for one server; by the master serving
   * each key's slot for a cluster (undefined: a slot no known master serves, answered as a miss unasked).
   */
  #route(fullKeys: readonly string[]): Map<string | undefined, number[]> {
    const groups = new Map<string | undefined, number[]>();
    const cluster = this.#cluster;
    if (!cluster) {
      groups.set(SINGLE, fullKeys.map((_, i) => i));
      return groups;
    }
    fullKeys.forEach((k, i) => {
      const node = nodeOfKey(cluster, k);
      const g = groups.get(node);
      if (g) g.push(i); else groups.set(node, [i]);
    });
    return groups;
  }

  /** Reads keys held by one server: GET or MGET on one server; single GETs (pipelined per master) on a cluster. */
  async #read(fullKeys: readonly string[]): Promise<(Buffer | null)[]> {
    if (this.#cluster) {
      const cluster = this.#cluster;
      return Promise.all(fullKeys.map((k) => cluster.getBuffer(k)));
    }
    return fullKeys.length === 1 ? [await this.#client.getBuffer(fullKeys[0] as string)] : this.#client.mgetBuffer(fullKeys as string[]);
  }

  /**
   * Whether to talk to Redis at all. While disconnected ioredis would reject at once anyway (no offline
   * queue); answering here keeps a known outage out of the breaker, so the first command after a reconnect
   * goes through instead of waiting out an open period earned while the socket was down. The breaker is
   * for the connected-but-sick server (frozen, overloaded, partitioned without a reset), and for a cluster,
   * for the master that is lost while the cluster client as a whole stays connected.
   */
  #usable(): boolean {
    if (this.#client.status === 'ready') return true;
    this.#stats.unavailable += 1;
    metrics.cacheErrors.inc({ tier: this.tier, kind: 'unavailable' });
    return false;
  }

  /** The breaker of `node`, created closed on first use. */
  #breakerFor(node: string): CircuitBreaker {
    let b = this.#breakers.get(node);
    if (!b) {
      b = new CircuitBreaker({
        failureThreshold: this.#breakerFailureThreshold,
        openMs: this.#breakerOpenMs,
        onStateChange: (s) => this.#onBreaker(node, s),
      });
      this.#breakers.set(node, b);
      this.#publishBreakers();
    }
    return b;
  }

  /** Keeps one breaker per master of the cluster's current slot map (masters that left it are forgotten). */
  #syncMasters(): void {
    if (!this.#cluster) return;
    const masters = clusterMasters(this.#cluster);
    for (const node of masters) this.#breakerFor(node);
    for (const node of [...this.#breakers.keys()]) if (!masters.has(node)) this.#breakers.delete(node);
    this.#publishBreakers();
  }

  /**
   * Tells `breaker` about a command that failed, judged on Redis's part in it. An error is a failure, except
   * a command timeout reported well after it fell due: its timer came due while the event loop was stalled,
   * and after a stall Node runs due timers before it reads sockets, so Redis's reply may be sitting unread.
   * That proves nothing about Redis (the breaker is released without a verdict); a frozen Redis still fails
   * every command whose timer fires on time.
   */
  #reportFailure(breaker: CircuitBreaker, error: unknown, startedAt: number): void {
    if (errorKind(error) === 'timeout' && performance.now() - startedAt > this.#commandTimeoutMs * (1 + LATE_TIMER_FRACTION)) {
      this.#stats.stalledTimeouts += 1;
      breaker.release();
    } else {
      breaker.failure();
    }
  }

  #worstState(): BreakerStateValue {
    let worst: BreakerStateValue = BreakerState.closed;
    for (const b of this.#breakers.values()) if (b.state > worst) worst = b.state;
    return worst;
  }

  /** Sets the breaker gauges: the worst state, and how many servers are in each state. */
  #publishBreakers(): void {
    const counts = [0, 0, 0];
    let worst: BreakerStateValue = BreakerState.closed;
    for (const b of this.#breakers.values()) {
      const s = b.state;
      counts[s] = (counts[s] as number) + 1;
      if (s > worst) worst = s;
    }
    metrics.redisBreakerState.set(worst);
    STATE_NAMES.forEach((name, s) => metrics.redisNodes.set({ state: name }, counts[s] as number));
  }

  #onBreaker(node: string, s: BreakerStateValue): void {
    this.#publishBreakers();
    const where = this.#cluster ? { node } : {};
    if (s === BreakerState.open) this.#log.warn(where, this.#cluster ? 'redis cluster node circuit breaker open: skipping its keys for a while' : 'redis cache circuit breaker open: skipping Redis for a while');
    else if (s === BreakerState.closed) this.#log.info(where, this.#cluster ? 'redis cluster node circuit breaker closed' : 'redis cache circuit breaker closed');
  }
}
