/**
 * Runs ghz (the Go gRPC benchmarking tool) with one of the committed configs in bench/ghz/, overriding
 * only what the sweep changes (host, concurrency, duration) on the command line; ghz lets CLI flags
 * override config-file values.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnTracked, waitForExit } from '../harness/child-processes.js';
import { parseGhzReport } from './ghz-parse.js';
import type { LoadResult } from './load-result.js';

/** True when ghz is on PATH. */
export function ghzAvailable(): boolean {
  try {
    execFileSync('ghz', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** One ghz run. */
export interface GhzRun {
  /** Config file (relative paths inside it resolve against `cwd`, the repository root). */
  readonly config: string;
  readonly cwd: string;
  readonly address: string;
  readonly concurrency?: number;
  readonly connections?: number;
  /** Duration mode; omit to keep the config's own total/duration. */
  readonly durationSeconds?: number;
  /** Count mode: exactly this many calls (the Zipf sequence is sent once, in order). */
  readonly total?: number;
}

/** The ghz argument list (exported so the report can print the exact command). */
export function ghzArgs(run: GhzRun, outFile: string): string[] {
  return [
    `--config=${run.config}`,
    ...(run.concurrency ? [`--concurrency=${run.concurrency}`] : []),
    ...(run.connections ? [`--connections=${run.connections}`] : []),
    ...(run.durationSeconds ? [`--duration=${Math.round(run.durationSeconds * 1000)}ms`] : []),
    ...(run.total ? [`--total=${run.total}`] : []),
    '--format=json',
    `--output=${outFile}`,
    run.address,
  ];
}

/** Runs ghz and parses its JSON report. */
export async function runGhz(run: GhzRun): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-bench-ghz-'));
  try {
    const out = path.join(dir, 'report.json');
    const child = spawnTracked('ghz', ghzArgs(run, out), { cwd: run.cwd });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const { code } = await waitForExit(child);
    if (code !== 0) throw new Error(`ghz exited with ${code}: ${stderr}`);
    const rep = parseGhzReport(readFileSync(out, 'utf8'));
    return {
      tool: 'ghz',
      concurrency: run.concurrency ?? 0,
      durationSeconds: rep.durationSeconds,
      completed: rep.count,
      clientErrors: rep.errorCount,
      cutOff: rep.cutOffCount,
      requestsPerSecond: rep.requestsPerSecond,
      latency: { count: rep.count, meanMs: rep.meanMs, p50Ms: rep.p50Ms, p95Ms: rep.p95Ms, p99Ms: rep.p99Ms, maxMs: rep.maxMs },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
