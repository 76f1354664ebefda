/**
 * The mixed workload: the three bundled models at realistic shares (bench-models MIXED_SHARES), 100+
 * concurrent callers, adaptive batching, checked against the P95 < 200 ms objective. With h2load each
 * model gets its own h2load process with callers in proportion to its share.
 */
import { MIXED_SHARES, type BenchModel } from '../workload/bench-models.js';
import { readGhzConfig } from './ghz-config-files.js';
import { warmUp, driveLoad, type Workload, type WorkloadPart } from './drive-load.js';
import { measure, type Measurement } from './measurement.js';
import { withServer } from './with-server.js';
import { formatPoint } from './format-point.js';
import type { BenchContext } from './bench-context.js';

/** The latency objective of the mixed workload. */
export const MIXED_P95_TARGET_MS = 200;

/** Splits `total` callers by integer shares (largest remainder), at least one caller each. */
export function splitByShares(total: number, shares: Readonly<Record<string, number>>): Record<string, number> {
  const entries = Object.entries(shares);
  const sum = entries.reduce((a, [, s]) => a + s, 0);
  const exact = entries.map(([k, s]) => [k, (total * s) / sum] as const);
  const out: Record<string, number> = {};
  let used = 0;
  for (const [k, v] of exact) { out[k] = Math.max(1, Math.floor(v)); used += out[k] as number; }
  const order = [...exact].sort((a, b) => (b[1] % 1) - (a[1] % 1));
  for (let i = 0; used < total; i = (i + 1) % order.length) { const k = (order[i] as readonly [string, number])[0]; out[k] = (out[k] as number) + 1; used++; }
  return out;
}

/** Runs the mixed workload once. */
export async function runMixedScenario(ctx: BenchContext): Promise<Measurement[]> {
  const { requests } = readGhzConfig(ctx.root, 'mixed.json');
  const callers = splitByShares(ctx.settings.mixedConcurrency, MIXED_SHARES);
  const parts: WorkloadPart[] = (Object.keys(MIXED_SHARES) as BenchModel[]).map((model) => {
    const request = requests.find((r) => r['model'] === model);
    if (!request) throw new Error(`bench/ghz/mixed.json has no ${model} request`);
    return { request, concurrency: callers[model] as number };
  });
  const w: Workload = { ghzConfig: 'mixed.json', method: 'Predict', parts, durationSeconds: ctx.settings.mixedSeconds };
  return withServer(ctx, 'batching=adaptive', { batching: 'adaptive' }, async (server) => {
    await warmUp(ctx, server.grpcAddress, w);
    ctx.progress(`mixed: ${ctx.settings.mixedConcurrency} callers for ${ctx.settings.mixedSeconds} s (${Object.entries(callers).map(([k, v]) => `${k} ${v}`).join(', ')})`);
    const m = await measure(server, { scenario: 'mixed', config: 'adaptive', model: 'mixed', variant: 'auto', rowsPerRequest: 1, concurrency: ctx.settings.mixedConcurrency }, () => driveLoad(ctx, server.grpcAddress, w));
    ctx.progress(`${formatPoint(m)} -> P95 ${m.load.latency.p95Ms <= MIXED_P95_TARGET_MS ? 'meets' : 'MISSES'} the ${MIXED_P95_TARGET_MS} ms objective`);
    return [m];
  });
}
