/**
 * Starts hub-inference the way operators do (`npm start`: `node <SERVE_NODE_FLAGS> dist/src/main.js`, configured by env), waits for its
 * "serving" log line and reads the bound addresses from it. One server per benchmark configuration.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import readline from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { serveArgs } from '../../src/v8-tuning.js';
import { spawnTracked, stopChild } from './child-processes.js';

/** Knobs the benchmarks compare. */
export interface ServerOptions {
  /** Repository root holding dist/src/main.js. */
  readonly root: string;
  readonly modelRepository: string;
  readonly batching?: 'off' | 'window' | 'adaptive';
  readonly workers?: number;
  readonly redisUrl?: string;
  /** Extra env (e.g. HUB_L1_MAX_ENTRIES). */
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
  /** Another server entry to start instead of hub-inference (the naive reference server), with its arguments. */
  readonly entry?: { readonly script: string; readonly args: readonly string[] };
}

/** A running server. */
export interface ServerHandle {
  readonly pid: number;
  readonly grpcAddress: string;
  /** host:port of /metrics, or undefined when the server did not report one. */
  readonly metricsAddress: string | undefined;
  readonly child: ChildProcess;
  /** Last log lines (for error messages). */
  readonly recentLog: () => string[];
  stop(): Promise<void>;
}

/** The "serving" line's fields, or undefined when `line` is not it. */
export function parseServingLine(line: string): { grpcAddress: string; metricsAddress: string | undefined } | undefined {
  if (!line.includes('"serving"')) return undefined;
  let rec: Record<string, unknown>;
  try { rec = JSON.parse(line) as Record<string, unknown>; } catch { return undefined; }
  if (rec['msg'] !== 'serving' || typeof rec['grpcAddress'] !== 'string') return undefined;
  const m = rec['metricsAddress'];
  return { grpcAddress: rec['grpcAddress'], metricsAddress: typeof m === 'string' && m !== '' ? m : undefined };
}

/** Path of the server entry under a repository root. */
export function serverEntry(root: string): string {
  return path.join(root, 'dist', 'src', 'main.js');
}

/** Starts the server and resolves once it logs "serving". */
export async function startServer(opts: ServerOptions): Promise<ServerHandle> {
  const entry = opts.entry?.script ?? serverEntry(opts.root);
  if (!existsSync(entry)) throw new Error(`${entry} not found: run \`npm run build\` first`);
  const env: Record<string, string> = {
    ...process.env as Record<string, string>,
    HUB_GRPC_ADDRESS: '127.0.0.1:0',
    HUB_METRICS_ADDRESS: '127.0.0.1:0',
    HUB_MODEL_REPOSITORY: opts.modelRepository,
    HUB_LOG_LEVEL: 'info',
    ...(opts.batching ? { HUB_BATCHING: opts.batching } : {}),
    ...(opts.workers ? { HUB_WORKERS: String(opts.workers) } : {}),
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
    ...opts.env,
  };
  if (!opts.redisUrl) delete env['REDIS_URL'];
  // hub starts as `npm start` starts it; a reference server as its user would (plain `node`).
  const child = spawnTracked(process.execPath, opts.entry ? [entry, ...opts.entry.args] : serveArgs(entry), { cwd: opts.root, env });
  const recent: string[] = [];
  const remember = (line: string): void => { recent.push(line); if (recent.length > 30) recent.shift(); };
  if (child.stderr) readline.createInterface({ input: child.stderr }).on('line', remember);
  const lines = readline.createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const serving = await new Promise<{ grpcAddress: string; metricsAddress: string | undefined }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not log "serving" within ${opts.startTimeoutMs ?? 120_000} ms:\n${recent.join('\n')}`)), opts.startTimeoutMs ?? 120_000);
    lines.on('line', (line) => {
      remember(line);
      const s = parseServingLine(line);
      if (s) { clearTimeout(timer); resolve(s); }
    });
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`server exited (code ${code}, signal ${signal}) before serving:\n${recent.join('\n')}`)); });
  }).catch(async (e: unknown) => { await stopChild(child, 2_000); throw e; });
  return {
    pid: child.pid as number,
    grpcAddress: serving.grpcAddress,
    metricsAddress: serving.metricsAddress,
    child,
    recentLog: () => [...recent],
    stop: () => stopChild(child, 15_000),
  };
}
