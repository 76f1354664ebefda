/**
 * The quantization pipeline: read FP32 -> quantize (dynamic or static QDQ) -> load the candidate in ONNX
 * Runtime -> verify accuracy and speed against FP32 -> apply the gate -> write model and report. Nothing
 * is written unless the candidate loads and runs; files are written atomically.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { thisInt8Host, weightRangeFor, type Int8Host, type WeightRange } from '../src/engine/int8-host.js';
import { decodeModel, encodeModel } from '../src/onnx/onnx-io.js';
import { sampleInputs } from '../src/repository/sample-inputs.js';
import { gatherRows, type HostTensor } from '../src/tensor/tensor.js';
import type { SampleSpec } from '../src/repository/model-config.js';
import { quantizeDynamic, QuantizeError, type ActivationScaling, type QuantizeOutcome } from './dynamic-quantizer.js';
import { calibrate, quantizeStatic, type CalibrationMethod } from './static-quantizer.js';
import { configFor, generatedRanges, readJsonl } from './inputs.js';
import { checkGate, type AccuracyGate, type QuantizationReport } from './report.js';
import { verifyCandidate } from './verify.js';

/** Everything the pipeline needs. */
export interface PipelineOptions {
  readonly modelFile: string;
  readonly outFile: string;
  readonly reportFile: string;
  readonly mode: 'dynamic' | 'static';
  readonly perChannel: boolean;
  /**
   * int8 weights in full range, or in 7 bits where u8 x s8 products saturate (src/engine/int8-host.ts). Default
   * 'auto': reduced when this host's kernels saturate, so the gate verifies what this host will serve.
   */
  readonly weightRange?: WeightRange | 'auto';
  /** Dynamic mode: how activations are scaled at run time (default per-row: row-independent answers). */
  readonly activations?: ActivationScaling;
  readonly excludeNodes: readonly string[];
  readonly excludeOpTypes: readonly string[];
  /** How to generate each named input's values (--input flags), over the config and the graph. */
  readonly inputs?: Readonly<Record<string, SampleSpec>>;
  /** Rows (.jsonl) for calibration (static mode) and, when given, for validation and timing too. */
  readonly calibrationFile?: string | undefined;
  readonly calibrationMethod: CalibrationMethod;
  readonly percentile: number;
  readonly calibrationRows: number;
  readonly validationRows: number;
  readonly gate: AccuracyGate;
  /** Show progress bars (interactive terminals only). */
  readonly progress: boolean;
  /** Log lines (one per stage). */
  readonly log: (line: string) => void;
}

/**
 * Version of the graphs the quantizers write: bump it when the same settings produce a different graph, so
 * `--bundled` rebuilds outputs an older quantizer wrote (2: per-row activations through per-axis
 * QuantizeLinear/DequantizeLinear, [0, max] rows after Relu).
 */
const QUANTIZER_VERSION = 2;

/** The weight range a run uses: 'auto' resolves on this host. */
export function weightRangeOf(o: Pick<PipelineOptions, 'weightRange'>, host: Int8Host = thisInt8Host()): WeightRange {
  const r = o.weightRange ?? 'auto';
  return r === 'auto' ? weightRangeFor(host) : r;
}

/** The settings recorded in the report (a re-run with equal settings and FP32 hash may be skipped). */
export function settingsOf(o: PipelineOptions): Record<string, unknown> {
  return {
    quantizerVersion: QUANTIZER_VERSION, mode: o.mode, perChannel: o.perChannel, weightRange: weightRangeOf(o), ...(o.mode === 'dynamic' ? { activations: o.activations ?? 'per-row' } : {}), excludeNodes: [...o.excludeNodes], excludeOpTypes: [...o.excludeOpTypes],
    ...(o.mode === 'static' ? { calibration: o.calibrationFile ?? 'config sample generator', calibrationMethod: o.calibrationMethod, percentile: o.percentile, calibrationRows: o.calibrationRows } : {}),
    validationRows: o.validationRows, gate: o.gate, ...(o.inputs && Object.keys(o.inputs).length ? { inputs: o.inputs } : {}),
  };
}

function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** The model has no weight to quantize (trees, linear models): not an error, and nothing is written. */
export class NothingToQuantizeError extends QuantizeError {
  constructor(message: string) {
    super(message);
    this.name = 'NothingToQuantizeError';
  }
}

/** `n` rows taken from `data` in order, starting over when it runs out. */
function cycleRows(data: Record<string, HostTensor>, n: number): Record<string, HostTensor> {
  const have = (Object.values(data)[0] as HostTensor).shape[0] as number;
  const pick = Array.from({ length: n }, (_, i) => i % have);
  return Object.fromEntries(Object.entries(data).map(([k, t]) => [k, gatherRows(t, pick)]));
}

/** SHA-256 of a file, hex. */
export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Runs the whole pipeline and returns the report (also written beside the model). */
export async function runPipeline(o: PipelineOptions): Promise<QuantizationReport> {
  const fp32Bytes = readFileSync(o.modelFile);
  const fp32 = decodeModel(fp32Bytes);
  const cfg = configFor(o.modelFile, fp32, o.inputs ?? {});
  // Inputs for calibration, validation and timing: the given rows when there are any (cycled to the count
  // asked), else generated within the ranges the graph or the flags give.
  const given = o.calibrationFile ? readJsonl(o.calibrationFile, cfg) : undefined;
  const valueRanges = given ? {} : generatedRanges(cfg, fp32);
  const rowsOf = (n: number, seed: number): Record<string, HostTensor> => (given ? cycleRows(given, n) : sampleInputs(cfg, n, seed, valueRanges));
  const bars = o.progress ? new MultiBar({ clearOnComplete: false, hideCursor: true, format: ' {stage} [{bar}] {value}/{total}' }, Presets.shades_classic) : undefined;
  const bar = (stage: string, total: number): SingleBar | undefined => bars?.create(total, 0, { stage: stage.padEnd(12) });

  const weightRange = weightRangeOf(o);
  if (weightRange === 'reduced') o.log(`int8 weights in 7 bits (${o.weightRange === 'reduced' ? 'asked for' : thisInt8Host().describe})`);
  let outcome: QuantizeOutcome;
  if (o.mode === 'dynamic') {
    outcome = quantizeDynamic(fp32, { perChannel: o.perChannel, weightRange, activations: o.activations ?? 'per-row', excludeNodes: o.excludeNodes, excludeOpTypes: o.excludeOpTypes });
  } else {
    const data = given ?? sampleInputs(cfg, o.calibrationRows, 7_777, valueRanges);
    o.log(`calibrating on ${(Object.values(data)[0] as HostTensor).shape[0]} rows (${o.calibrationMethod}${o.calibrationMethod === 'percentile' ? ` ${o.percentile}` : ''})`);
    const ranges = await calibrate(fp32, data, { perChannel: o.perChannel, method: o.calibrationMethod, percentile: o.percentile, excludeNodes: o.excludeNodes, excludeOpTypes: o.excludeOpTypes }, bar('calibration', 1));
    outcome = quantizeStatic(fp32, ranges, { perChannel: o.perChannel, weightRange, method: o.calibrationMethod, percentile: o.percentile, excludeNodes: o.excludeNodes, excludeOpTypes: o.excludeOpTypes });
  }
  if (outcome.quantized.length === 0) {
    bars?.stop();
    throw new NothingToQuantizeError(`nothing to quantize in ${o.modelFile}: no MatMul, Gemm or Conv with a constant float32 weight${outcome.skipped.length ? ` (left FP32: ${outcome.skipped.map((s) => `${s.op} ${s.node}: ${s.reason}`).join('; ')})` : ''}; no INT8 file was written, the FP32 model serves as it is`);
  }
  const int8Bytes = encodeModel(outcome.model);

  // Never write a broken model: the candidate must load and run before anything touches the disk.
  const validation = given ?? sampleInputs(cfg, o.validationRows, 20_241, valueRanges);
  const validationRows = (Object.values(validation)[0] as HostTensor).shape[0] as number;
  let verified;
  try {
    verified = await verifyCandidate(fp32Bytes, int8Bytes, validation, { b1: rowsOf(1, 1), b32: rowsOf(32, 2) }, bar('verification', Math.ceil(validationRows / 64) + 2));
  } finally {
    bars?.stop();
  }
  const { accuracy, fp32: fp32Speed, int8: int8Speed } = verified;

  const failures = checkGate(accuracy, o.gate);
  const report: QuantizationReport = {
    tool: 'hub-inference quantize',
    model: cfg.name === 'model' ? path.basename(o.modelFile) : cfg.name,
    fp32File: path.basename(o.modelFile),
    int8File: path.basename(o.outFile),
    fp32Sha256: createHash('sha256').update(fp32Bytes).digest('hex'),
    settings: settingsOf(o),
    verifiedOn: thisInt8Host(),
    quantizedNodes: outcome.quantized.length,
    skippedNodes: outcome.skipped,
    validationRows,
    accuracy,
    speed: { fp32: fp32Speed, int8: int8Speed, speedupBatch1: fp32Speed.batch1Ms / int8Speed.batch1Ms, speedupBatch32: fp32Speed.batch32Ms / int8Speed.batch32Ms },
    sizes: { fp32Bytes: fp32Bytes.byteLength, int8Bytes: int8Bytes.byteLength, ratio: int8Bytes.byteLength / fp32Bytes.byteLength },
    gate: o.gate,
    failures,
    passed: failures.length === 0,
    createdAt: new Date().toISOString(),
  };
  writeAtomic(o.outFile, int8Bytes);
  writeAtomic(o.reportFile, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** True when an existing INT8 output is up to date: newer than the FP32 file, same FP32 hash and settings. */
export function upToDate(o: PipelineOptions): boolean {
  try {
    const r = JSON.parse(readFileSync(o.reportFile, 'utf8')) as QuantizationReport;
    if (statSync(o.outFile).mtimeMs < statSync(o.modelFile).mtimeMs) return false;
    return r.fp32Sha256 === sha256File(o.modelFile) && JSON.stringify(r.settings) === JSON.stringify(settingsOf(o));
  } catch {
    return false;
  }
}
