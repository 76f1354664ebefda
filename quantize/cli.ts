/**
 * `npm run quantize -- <model dir | model.onnx> [options]`: FP32 -> verified INT8.
 * `--bundled <repoDir>`: quantize every model whose config.json has a "quantization" section (set-up).
 * Exit codes: 0 ok, 1 gate failed (model and report written with passed=false), 2 usage or graph error.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readModelConfig } from '../src/repository/model-config.js';
import { CONFIG_FILE, int8OutputsFor, latestVariantFile, VARIANT_FILES } from '../src/repository/model-layout.js';
import { QuantizeError, type ActivationScaling } from './dynamic-quantizer.js';
import type { WeightRange } from '../src/engine/int8-host.js';
import { parseInputFlag } from './inputs.js';
import { NothingToQuantizeError, runPipeline, upToDate, type PipelineOptions } from './pipeline.js';
import { DEFAULT_GATE, formatReport, type AccuracyGate } from './report.js';

const USAGE = `usage: npm run quantize -- <model dir | model.onnx> [options]
       npm run quantize -- --bundled <repoDir>

  --mode dynamic|static        dynamic (default): int8 weights, activations quantized at run time
                               static: QDQ (S8S8) with calibrated activation ranges
  --per-channel | --per-tensor weight scales per output channel (default) or one per tensor
  --weight-range auto|full|reduced   int8 weights in [-127, 127] (full) or in 7 bits (reduced: for x86-64 CPUs
                               without VNNI, whose u8 x s8 products saturate in 16 bits). auto (default): reduced
                               when this host's CPU saturates, so the gate checks what this host serves
  --activations A      dynamic mode: per-row (default; a row's answer never depends on its batch-mates) or
                       per-tensor-batch-dependent (one scale per batch; ORT fuses it, but answers vary with batch-mates)
  --exclude-nodes a,b          keep these nodes FP32
  --exclude-op-types Conv,...  keep these op types FP32
  --calibration file.jsonl     rows, one JSON object per line {"<input>": [[...row...], ...]}: static mode calibrates on
                               them, and both modes validate and time on them
  --input NAME=SPEC            how to generate an input's values when no rows are given: int:MIN:MAX, uniform:MIN:MAX,
                               normal:MEAN:STD or mask (repeatable). Without it: the range of the embedding table the
                               input indexes, 0/1 for an integer input named like a mask, N(0,1) for floats; a
                               config's "sample" specs win over these (calibration default: 256 generated rows)
  --calibration-method minmax|percentile|entropy   (default minmax)   --percentile 99.99
  --validation-rows N          rows compared against FP32 (default 512)
  --gate-min-cosine X  --gate-min-top1 X  --gate-max-rel-l2 X   accuracy gate (default 0.999 / 0.99 / 0.05)
  --out file.onnx              output (default: model.int8.onnx beside the input)
  --quiet                      no progress bars`;

function list(v: string | undefined): string[] {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

function num(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new QuantizeError(`--${name} expects a number, got "${v}"`);
  return n;
}

function modelFileOf(target: string): string {
  if (target.endsWith('.onnx')) return target;
  if (existsSync(path.join(target, VARIANT_FILES.fp32))) return path.join(target, VARIANT_FILES.fp32);
  const latest = latestVariantFile(target, 'fp32');
  if (latest) return latest;
  throw new QuantizeError(`${target}: not an .onnx file, a version directory or a model directory with a <version>/${VARIANT_FILES.fp32}`);
}

const outputsFor = int8OutputsFor;

async function bundled(repo: string, quiet: boolean): Promise<number> {
  let failures = 0;
  for (const name of readdirSync(repo).sort()) {
    const dir = path.join(repo, name);
    const cfgFile = path.join(dir, CONFIG_FILE);
    if (!statSync(dir).isDirectory() || !existsSync(cfgFile)) continue;
    const cfg = readModelConfig(cfgFile, name);
    const q = cfg.quantization as { mode?: string; perChannel?: boolean; weightRange?: string; activations?: string; gate?: Partial<AccuracyGate>; excludeNodes?: string[]; excludeOpTypes?: string[] } | undefined;
    if (!q) continue;
    const modelFile = modelFileOf(dir);
    const o: PipelineOptions = {
      modelFile, ...outputsFor(modelFile, undefined),
      mode: q.mode === 'static' ? 'static' : 'dynamic', perChannel: q.perChannel ?? true, weightRange: weightRangeArg(q.weightRange, `${name}/${CONFIG_FILE} quantization.weightRange`),
      activations: q.activations === 'per-tensor-batch-dependent' ? 'per-tensor-batch-dependent' : 'per-row',
      excludeNodes: q.excludeNodes ?? [], excludeOpTypes: q.excludeOpTypes ?? [],
      calibrationMethod: 'minmax', percentile: 99.99, calibrationRows: 256, validationRows: 256,
      gate: { ...DEFAULT_GATE, ...q.gate }, progress: !quiet && process.stderr.isTTY === true, log: (l) => process.stderr.write(`${name}: ${l}\n`),
    };
    if (upToDate(o)) { process.stdout.write(`${name.padEnd(20)} INT8 up to date (${path.relative(process.cwd(), o.outFile)})\n`); continue; }
    try {
      const r = await runPipeline(o);
      process.stdout.write(`${name.padEnd(20)} INT8 ${r.passed ? 'passed' : 'FAILED'} its gate: cosine ${Object.values(r.accuracy).map((a) => a.cosine.toFixed(5)).join('/')}, ${r.speed.speedupBatch32.toFixed(2)}x at batch 32 -> ${path.relative(process.cwd(), o.outFile)}\n`);
      if (!r.passed) process.stdout.write(`${' '.repeat(21)}${r.failures.join('; ')} (the server serves FP32)\n`);
    } catch (e) {
      failures++;
      process.stderr.write(`${name}: quantization failed: ${(e as Error).message}\n`);
    }
  }
  return failures > 0 ? 2 : 0;
}

function weightRangeArg(v: string | undefined, what: string): WeightRange | 'auto' {
  if (v === undefined || v === 'auto' || v === 'full' || v === 'reduced') return v ?? 'auto';
  throw new QuantizeError(`${what} must be auto, full or reduced, got "${v}"`);
}

function activationsOf(v: string | undefined): ActivationScaling {
  if (v === undefined || v === 'per-row') return 'per-row';
  if (v === 'per-tensor-batch-dependent') return v;
  throw new QuantizeError(`--activations must be per-row or per-tensor-batch-dependent, got "${v}"`);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      mode: { type: 'string' }, 'per-channel': { type: 'boolean' }, 'per-tensor': { type: 'boolean' }, 'weight-range': { type: 'string' }, activations: { type: 'string' },
      input: { type: 'string', multiple: true },
      'exclude-nodes': { type: 'string' }, 'exclude-op-types': { type: 'string' },
      calibration: { type: 'string' }, 'calibration-method': { type: 'string' }, percentile: { type: 'string' },
      'calibration-rows': { type: 'string' }, 'validation-rows': { type: 'string' },
      'gate-min-cosine': { type: 'string' }, 'gate-min-top1': { type: 'string' }, 'gate-max-rel-l2': { type: 'string' },
      out: { type: 'string' }, quiet: { type: 'boolean' }, bundled: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { process.stdout.write(`${USAGE}\n`); return 0; }
  if (values.bundled) return bundled(values.bundled, values.quiet === true);
  const target = positionals[0];
  if (!target || positionals.length > 1) throw new QuantizeError(`expected one model directory or .onnx file\n${USAGE}`);
  const mode = values.mode ?? 'dynamic';
  if (mode !== 'dynamic' && mode !== 'static') throw new QuantizeError(`--mode must be dynamic or static, got "${mode}"`);
  const method = values['calibration-method'] ?? 'minmax';
  if (method !== 'minmax' && method !== 'percentile' && method !== 'entropy') throw new QuantizeError(`--calibration-method must be minmax, percentile or entropy, got "${method}"`);
  if (values['per-channel'] && values['per-tensor']) throw new QuantizeError('give --per-channel or --per-tensor, not both');
  const modelFile = modelFileOf(target);
  const o: PipelineOptions = {
    modelFile, ...outputsFor(modelFile, values.out),
    mode, perChannel: values['per-tensor'] !== true, weightRange: weightRangeArg(values['weight-range'], '--weight-range'), activations: activationsOf(values.activations),
    inputs: Object.fromEntries((values.input ?? []).map(parseInputFlag)),
    excludeNodes: list(values['exclude-nodes']), excludeOpTypes: list(values['exclude-op-types']),
    calibrationFile: values.calibration, calibrationMethod: method, percentile: num(values.percentile, 'percentile', 99.99),
    calibrationRows: num(values['calibration-rows'], 'calibration-rows', 256), validationRows: num(values['validation-rows'], 'validation-rows', 512),
    gate: {
      minCosine: num(values['gate-min-cosine'], 'gate-min-cosine', DEFAULT_GATE.minCosine),
      minTop1Agreement: num(values['gate-min-top1'], 'gate-min-top1', DEFAULT_GATE.minTop1Agreement),
      maxRelL2: num(values['gate-max-rel-l2'], 'gate-max-rel-l2', DEFAULT_GATE.maxRelL2),
    },
    progress: values.quiet !== true && process.stderr.isTTY === true,
    log: (l) => process.stderr.write(`${l}\n`),
  };
  let report;
  try {
    report = await runPipeline(o);
  } catch (e) {
    // Trees and linear models have no weights to quantize: say so and succeed, writing nothing.
    if (e instanceof NothingToQuantizeError) { process.stdout.write(`${e.message}\n`); return 0; }
    throw e;
  }
  process.stdout.write(`${formatReport(report)}\nwrote ${o.outFile} and ${o.reportFile}\n`);
  return report.passed ? 0 : 1;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
  const msg = e instanceof QuantizeError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? (e as Error).message : (e as Error).stack ?? String(e);
  process.stderr.write(`quantize: ${msg}\n`);
  process.exit(2);
});
