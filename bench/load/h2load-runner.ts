/**
 * Drives gRPC unary load with h2load (nghttp2's HTTP/2 benchmarking client). The request is pre-encoded
 * as one gRPC frame and POSTed with the gRPC headers; h2load does not read grpc-status trailers, so the
 * caller counts gRPC errors from the server's metrics. Percentiles come from h2load's --log-file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { spawnTracked, waitForExit } from '../harness/child-processes.js';
import { parseH2loadLog, parseH2loadOutput, type H2loadLogEntry } from './h2load-parse.js';
import { summarizeLatencies } from './latency-stats.js';
import type { LoadResult } from './load-result.js';

/** One h2load run. */
export interface H2loadRun {
  /** host:port of the gRPC server. */
  readonly address: string;
  /** HTTP/2 :path, e.g. /hub.inference.v1.InferenceService/Predict. */
  readonly path: string;
  /** The framed gRPC request body. */
  readonly body: Uint8Array;
  /** Callers in flight at once (connections x streams per connection). */
  readonly concurrency: number;
  readonly durationSeconds: number;
  readonly warmupSeconds?: number;
  /** Override the connection count (default: chosen by splitConcurrency). */
  readonly connections?: number;
}

/** True when h2load is on PATH. */
export function h2loadAvailable(): boolean {
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Splits callers into h2load clients (-c, one connection each) and streams per client (-m). Up to four
 * connections, like a few backend pods sharing a channel each; callers must be a multiple of the
 * connection count so every connection carries the same number of streams.
 */
export function splitConcurrency(callers: number, maxConnections = 4): { connections: number; streams: number } {
  if (callers < 1) throw new Error('concurrency must be >= 1');
  for (let c = Math.min(maxConnections, callers); c >= 1; c--) {
    if (callers % c === 0) return { connections: c, streams: callers / c };
  }
  return { connections: 1, streams: callers };
}

/** The h2load argument list for a run (exported for tests and for printing the exact command). */
export function h2loadArgs(run: H2loadRun, bodyFile: string, logFile: string): string[] {
  const split = run.connections ? { connections: run.connections, streams: Math.ceil(run.concurrency / run.connections) } : splitConcurrency(run.concurrency);
  return [
    '-t', '1',
    '-c', String(split.connections),
    '-m', String(split.streams),
    '-D', `${Math.round(run.durationSeconds * 1000)}ms`,
    ...(run.warmupSeconds ? ['--warm-up-time', `${Math.round(run.warmupSeconds * 1000)}ms`] : []),
    '-d', bodyFile,
    '-H', 'content-type: application/grpc',
    '-H', 'te: trailers',
    `--log-file=${logFile}`,
    `http://${run.address}${run.path}`,
  ];
}

/** Raw outcome of an h2load process: parsed report plus per-request log. */
export interface H2loadRaw {
  readonly args: string[];
  readonly stdout: string;
  readonly log: H2loadLogEntry[];
}

/** Runs h2load once and returns its raw output (the caller merges several for mixed workloads). */
export async function runH2loadRaw(run: H2loadRun): Promise<H2loadRaw> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-bench-h2load-'));
  try {
    const bodyFile = path.join(dir, 'body.bin');
    const logFile = path.join(dir, 'requests.tsv');
    writeFileSync(bodyFile, run.body);
    const args = h2loadArgs(run, bodyFile, logFile);
    const child = spawnTracked('h2load', args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const { code } = await waitForExit(child);
    if (code !== 0) throw new Error(`h2load exited with ${code}: ${stderr || stdout}`);
    let logText = '';
    try { logText = readFileSync(logFile, 'utf8'); } catch { /* no requests completed */ }
    return { args, stdout, log: parseH2loadLog(logText) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Folds one or more concurrent h2load runs into one LoadResult. */
export function h2loadResult(raws: readonly H2loadRaw[], concurrency: number): LoadResult {
  const reports = raws.map((r) => parseH2loadOutput(r.stdout));
  const latencies: number[] = [];
  let completed = 0;
  let clientErrors = 0;
  for (const [i, rep] of reports.entries()) {
    completed += rep.requests.done;
    clientErrors += rep.requests.failed + rep.requests.errored + rep.requests.timeout + rep.status['3xx'] + rep.status['4xx'] + rep.status['5xx'];
    for (const e of (raws[i] as H2loadRaw).log) latencies.push(e.elapsedUs / 1000);
  }
  // In timing mode "finished in" includes the warm-up; req/s is over the measured phase only, so derive
  // the measured duration from it.
  const durationSeconds = Math.max(...reports.map((r) => (r.requestsPerSecond > 0 ? r.requests.done / r.requestsPerSecond : r.durationSeconds)));
  return {
    tool: 'h2load',
    concurrency,
    durationSeconds,
    completed,
    clientErrors,
    requestsPerSecond: reports.reduce((a, r) => a + r.requestsPerSecond, 0),
    latency: summarizeLatencies(latencies),
  };
}
