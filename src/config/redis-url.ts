/**
 * The forms `REDIS_URL` takes. A single server is an ordinary ioredis URL (`redis://[user:password@]host:port[/db]`,
 * `rediss://` for TLS), passed to ioredis unchanged. A Redis Cluster is named by its seed nodes:
 *
 *   redis+cluster://[user:password@]host1:port1,host2:port2,...[/]     (rediss+cluster:// for TLS)
 *
 * The credentials, written once before the first host, apply to every node (cluster nodes share their ACL
 * users). Any one reachable seed is enough: the client discovers the other masters from `CLUSTER SLOTS`, so
 * listing a few guards only against a seed being down at start. A port defaults to 6379; an IPv6 host is
 * written in brackets (`[::1]:7000`). A cluster has only database 0, so no path or query is accepted.
 */

/** One seed node of a cluster URL. */
export interface RedisSeed {
  readonly host: string;
  readonly port: number;
}

/** What `REDIS_URL` names. */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | {
    readonly kind: 'cluster';
    readonly seeds: readonly RedisSeed[];
    readonly username?: string | undefined;
    readonly password?: string | undefined;
    readonly tls: boolean;
  };

/** The URL schemes accepted (checked by the config schema). */
export const REDIS_URL_PATTERN = /^rediss?(\+cluster)?:\/\//;

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\//;
const DEFAULT_PORT = 6379;

function parseSeed(text: string): RedisSeed {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/@,]+))(?::(\d{1,5}))?$/.exec(text);
  if (!m) throw new Error(`bad cluster seed "${text}": expected host:port`);
  const port = m[3] === undefined ? DEFAULT_PORT : Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`bad cluster seed "${text}": port out of range`);
  return { host: (m[1] ?? m[2]) as string, port };
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new Error('bad percent-encoding in the credentials');
  }
}

/** Parses a `REDIS_URL`; throws an Error whose message says what is wrong (the config schema reports it). */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = CLUSTER_SCHEME.exec(url);
  if (!scheme) {
    if (!REDIS_URL_PATTERN.test(url)) throw new Error('expected redis://host:port or redis+cluster://host1:port1,host2:port2');
    return { kind: 'single', url };
  }
  let rest = url.slice(scheme[0].length);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (/[/?#]/.test(rest)) throw new Error('a cluster URL takes no database, path or query (a cluster has only database 0)');
  // The last '@' ends the credentials: hosts never contain one, an unencoded password may.
  const at = rest.lastIndexOf('@');
  let username: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const pass = colon >= 0 ? userinfo.slice(colon + 1) : undefined;
    if (user) username = decode(user);
    if (pass) password = decode(pass);
  }
  if (rest === '') throw new Error('a cluster URL needs at least one seed node: redis+cluster://host1:port1,host2:port2');
  const seeds = rest.split(',').map((s) => parseSeed(s.trim()));
  return { kind: 'cluster', seeds, username, password, tls: scheme[1] === 'rediss' };
}

/** `url` with any credentials replaced by `***` (for logs), whichever form it has. */
export function maskRedisUrl(url: string): string {
  // Greedy up to the last '@' before any '/': an unencoded '@' in a password must not leave its tail visible.
  return url.replace(/\/\/[^/]*@/, '//***@');
}
