/**
 * Cache hit rate on Zipf repeat traffic over 10,000 distinct leads (lead-scoring, one row per call):
 * cache off (requests say CACHE_POLICY_BYPASS), L1 only, L1+L2 (Redis), and L1+L2 on a second, fresh
 * server sharing the same Redis (cold L1, warm L2: what a new replica or a restart sees). The same
 * request sequence is sent once, in order, to each. Driver: ghz with the committed config when
 * installed; otherwise the node:http2 sequence driver (h2load can only repeat one body).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ZIPF, ZIPF_DATA_FILES, zipfRanks, zipfRequests } from '../workload/ghz-configs.js';
import { idealHitRate } from '../workload/zipf.js';
import { encodeRequest, grpcFrame, methodPath } from '../load/grpc-codec.js';
import { runSequence } from '../load/http2-sequence-driver.js';
import { runGhz } from '../load/ghz-runner.js';
import type { LoadResult } from '../load/load-result.js';
import { startRedis } from '../harness/redis-process.js';
import type { ServerHandle } from '../harness/server-process.js';
import { measure, type Measurement } from './measurement.js';
import { withServer } from './with-server.js';
import { formatPoint } from './format-point.js';
import type { BenchContext } from './bench-context.js';

/** The traffic itself, for the report. */
export interface ZipfTraffic {
  readonly requests: number;
  readonly distinctLeads: number;
  readonly distinctRequested: number;
  readonly exponent: number;
  /** 1 - distinct/requests: what an unbounded, never-expiring cache could hit. */
  readonly idealHitRate: number;
}

/** Writes the generated Zipf data files ghz's cache configs point at (full length). */
export function writeZipfDataFiles(root: string): void {
  const ranks = zipfRanks(ZIPF.fullRequests);
  for (const [kind, file] of Object.entries(ZIPF_DATA_FILES)) {
    const abs = path.join(root, file);
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, JSON.stringify(zipfRequests(ranks, kind === 'bypass' ? 'CACHE_POLICY_BYPASS' : 'CACHE_POLICY_DEFAULT')));
  }
}

/** Runs the cache comparison. */
export async function runCacheScenario(ctx: BenchContext): Promise<{ measurements: Measurement[]; traffic: ZipfTraffic }> {
  const n = ctx.settings.zipfRequests;
  const ranks = zipfRanks(n);
  const traffic: ZipfTraffic = { requests: n, distinctLeads: ZIPF.distinct, distinctRequested: new Set(ranks).size, exponent: ZIPF.exponent, idealHitRate: idealHitRate(ranks) };
  ctx.progress(`cache: ${n} requests over ${ZIPF.distinct} leads (Zipf s=${ZIPF.exponent}): ${traffic.distinctRequested} distinct, ideal hit rate ${(traffic.idealHitRate * 100).toFixed(1)}%`);
  const concurrency = ctx.tool === 'ghz' ? 64 : 32;
  let bodies: { cached: Buffer[]; bypass: Buffer[] } | undefined;
  if (ctx.tool === 'ghz') {
    if (!existsSync(path.join(ctx.root, ZIPF_DATA_FILES.cached)) || !existsSync(path.join(ctx.root, ZIPF_DATA_FILES.bypass))) writeZipfDataFiles(ctx.root);
  } else {
    const frame = (r: Record<string, unknown>): Buffer => grpcFrame(encodeRequest('Predict', r));
    bodies = { cached: zipfRequests(ranks, 'CACHE_POLICY_DEFAULT').map(frame), bypass: zipfRequests(ranks, 'CACHE_POLICY_BYPASS').map(frame) };
  }
  const drive = (server: ServerHandle, bypass: boolean): Promise<LoadResult> => {
    if (ctx.tool === 'ghz') {
      return runGhz({ config: path.join('bench', 'ghz', bypass ? 'cache-off-zipf.json' : 'cache-zipf.json'), cwd: ctx.root, address: server.grpcAddress, concurrency, connections: 4, total: n });
    }
    const b = bodies as { cached: Buffer[]; bypass: Buffer[] };
    return runSequence({ address: server.grpcAddress, path: methodPath('Predict'), bodies: bypass ? b.bypass : b.cached, concurrency, countCachedRows: true });
  };
  const point = async (server: ServerHandle, config: string, bypass: boolean): Promise<Measurement> => {
    const m = await measure(server, { scenario: 'cache', config, model: ZIPF.model, variant: 'auto', rowsPerRequest: 1, concurrency }, () => drive(server, bypass));
    ctx.progress(formatPoint(m));
    return m;
  };
  const out: Measurement[] = [];
  // "off" and "L1" share a server: bypassed calls neither read nor write the cache, so the L1 run still
  // starts cold (and one server start fewer keeps quick mode under two minutes).
  await withServer(ctx, 'cache off, then L1', { batching: 'adaptive' }, async (s) => {
    out.push(await point(s, 'off', true));
    out.push(await point(s, 'L1', false));
  });
  const redis = await startRedis();
  try {
    out.push(await withServer(ctx, 'L1+L2', { batching: 'adaptive', redisUrl: redis.url }, (s) => point(s, 'L1+L2', false)));
    out.push(await withServer(ctx, 'L1+L2 new replica', { batching: 'adaptive', redisUrl: redis.url }, (s) => point(s, 'L1+L2 (new replica, warm L2)', false)));
  } finally {
    await redis.stop();
  }
  return { measurements: out, traffic };
}
