import { describe, expect, it } from 'vitest';
import { maskRedisUrl, parseRedisUrl } from '../../../src/config/redis-url.js';

describe('REDIS_URL forms', () => {
  it('passes a single-server URL to ioredis unchanged', () => {
    expect(parseRedisUrl('redis://user:pw@h:6379/2')).toEqual({ kind: 'single', url: 'redis://user:pw@h:6379/2' });
    expect(parseRedisUrl('rediss://h:6380')).toEqual({ kind: 'single', url: 'rediss://h:6380' });
  });

  it('reads a cluster URL as its seed nodes, with the credentials applying to all of them', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,redis-2.cache:7002/')).toEqual({
      kind: 'cluster',
      seeds: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: 'redis-2.cache', port: 7002 }],
      username: undefined, password: undefined, tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://app:p%2Fw%40rd@h1:7000,h2')).toEqual({
      kind: 'cluster', seeds: [{ host: 'h1', port: 7000 }, { host: 'h2', port: 6379 }], username: 'app', password: 'p/w@rd', tls: true,
    });
  });

  it('takes a password without a user, an unencoded @ in it, and bracketed IPv6 hosts', () => {
    expect(parseRedisUrl('redis+cluster://:s3cr@t@[::1]:7000,[fd00::2]')).toMatchObject({
      seeds: [{ host: '::1', port: 7000 }, { host: 'fd00::2', port: 6379 }], username: undefined, password: 's3cr@t',
    });
  });

  it.each([
    ['h:6379', /expected redis:\/\/host:port or redis\+cluster:\/\//],
    ['redis+cluster://', /at least one seed node/],
    ['redis+cluster://user:pw@', /at least one seed node/],
    ['redis+cluster://h1:7000,,h2:7001', /bad cluster seed ""/],
    ['redis+cluster://h1:0', /port out of range/],
    ['redis+cluster://h1:7000/0', /takes no database, path or query/],
    ['redis+cluster://h1:7000?tls=true', /takes no database, path or query/],
    ['redis+cluster://u:%E0%A4%A@h1:7000', /bad percent-encoding/],
  ])('refuses %s, saying why', (url, why) => {
    expect(() => parseRedisUrl(url)).toThrow(why);
  });

  it('masks the credentials of either form up to the last @ of the authority', () => {
    expect(maskRedisUrl('redis://user:pw@h:6379/0')).toBe('redis://***@h:6379/0');
    expect(maskRedisUrl('rediss+cluster://u:p@ss@h1:1,h2:2')).toBe('rediss+cluster://***@h1:1,h2:2');
    expect(maskRedisUrl('redis+cluster://h1:1,h2:2')).toBe('redis+cluster://h1:1,h2:2');
  });
});
