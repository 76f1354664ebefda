import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../../../src/cache/redis-connection.js';

const opts = { commandTimeoutMs: 123, maxReconnectDelayMs: 100 };

describe('connectRedis', () => {
  it('builds a single-server client that fails fast for redis:// URLs', () => {
    const c = connectRedis('redis://127.0.0.1:1', opts);
    c.on('error', () => undefined);
    try {
      expect(c).toBeInstanceOf(Redis);
      expect((c as Redis).options).toMatchObject({ enableOfflineQueue: false, enableAutoPipelining: true, commandTimeout: 123, maxRetriesPerRequest: 1 });
    } finally {
      c.disconnect();
    }
  });

  it('builds a cluster client from the seeds, with credentials and TLS on every node and no retry delays', () => {
    const c = connectRedis('rediss+cluster://app:p%40ss@127.0.0.1:1,127.0.0.1:2', opts);
    c.on('error', () => undefined);
    try {
      expect(c).toBeInstanceOf(Cluster);
      const o = (c as Cluster).options;
      expect(o).toMatchObject({ enableOfflineQueue: false, enableAutoPipelining: true, retryDelayOnFailover: 0, retryDelayOnClusterDown: 0 });
      expect(o.redisOptions).toMatchObject({ username: 'app', password: 'p@ss', tls: {}, commandTimeout: 123, maxRetriesPerRequest: 1 });
      expect(typeof o.dnsLookup).toBe('function');
    } finally {
      c.disconnect();
    }
  });
});
