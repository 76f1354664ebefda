/**
 * `npm run bench -- [scenario...] [--quick|--full]`: starts a server per configuration compared, drives
 * it with ghz (if on PATH) or h2load, and writes bench/results/<timestamp>.{json,md} plus SVG charts.
 * Every process it starts is killed on exit, failure or Ctrl-C.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchArgs, USAGE } from './cli-args.js';
import { MODES, type BenchContext } from './scenarios/bench-context.js';
import { runBench, writeReport } from './run-bench.js';
import { ghzAvailable } from './load/ghz-runner.js';
import { h2loadAvailable } from './load/h2load-runner.js';
import { ghzConfigs } from './workload/ghz-configs.js';
import { writeZipfDataFiles } from './scenarios/cache-scenario.js';
import { serverEntry } from './harness/server-process.js';
import { stopChildrenOnSignals, wasInterrupted } from './harness/child-processes.js';
import { existsSync } from 'node:fs';
import { protoRoot } from '../src/proto/hub-proto.js';

/** Repository root: the directory holding proto/, as the one proto module finds it. */
function repoRoot(): string {
  return path.dirname(protoRoot());
}

/** Writes bench/ghz/*.json from the generator (the committed files are its output). */
function writeGhzConfigs(root: string): void {
  const dir = path.join(root, 'bench', 'ghz');
  mkdirSync(dir, { recursive: true });
  for (const [file, cfg] of Object.entries(ghzConfigs())) writeFileSync(path.join(dir, file), `${JSON.stringify(cfg, null, 2)}\n`);
  writeZipfDataFiles(root);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) { process.stdout.write(`${USAGE}\n`); return; }
  stopChildrenOnSignals();
  const root = repoRoot();
  if (args.writeGhz) { writeGhzConfigs(root); process.stdout.write(`wrote bench/ghz/*.json and bench/ghz/data/*\n`); return; }
  const hasGhz = ghzAvailable();
  const tool = args.tool === 'auto' ? (hasGhz ? 'ghz' : 'h2load') : args.tool;
  if (tool === 'h2load' && !h2loadAvailable()) throw new Error('neither ghz nor h2load is on PATH: install ghz, or h2load (Debian: apt-get install nghttp2-client)');
  if (tool === 'ghz' && !hasGhz) throw new Error('--tool ghz: ghz is not on PATH');
  if (!existsSync(serverEntry(root))) throw new Error(`${serverEntry(root)} not found: run \`npm run build\` first`);
  const t0 = Date.now();
  const ctx: BenchContext = {
    root,
    modelRepository: path.resolve(root, args.modelRepository),
    mode: args.mode,
    settings: MODES[args.mode],
    tool,
    workers: args.workers ?? os.availableParallelism(),
    progress: (line) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`),
  };
  ctx.progress(`bench ${args.mode}: ${args.scenarios.join(', ')} with ${tool}; models ${ctx.modelRepository}; ${ctx.workers} workers`);
  const results = await runBench(ctx, args.scenarios, args.cost);
  const files = await writeReport(results, path.resolve(root, args.outDir));
  ctx.progress(`done: ${path.relative(root, files.markdown)}, ${path.relative(root, files.json)}${files.svgs.length ? `, ${files.svgs.length} charts` : ''}`);
}

main().then(() => process.exit(0), (e: unknown) => {
  if (wasInterrupted()) { process.stderr.write('bench: interrupted; no results written\n'); process.exit(130); }
  process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
