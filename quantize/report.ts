/** The verification report: JSON beside the model and a terminal table. */
import type { OutputAccuracy, SpeedFigures } from './verify.js';
import type { Int8Host } from '../src/engine/int8-host.js';
import type { Int8ReportSummary } from '../src/repository/model-layout.js';

/** The accuracy gate: INT8 is usable only when every figure passes. */
export interface AccuracyGate {
  readonly minCosine: number;
  readonly minTop1Agreement: number;
  readonly maxRelL2: number;
}

/** Default gate (overridden by flags or the model config's quantization.gate). */
export const DEFAULT_GATE: AccuracyGate = Object.freeze({ minCosine: 0.999, minTop1Agreement: 0.99, maxRelL2: 0.05 });

/** Everything the pipeline measured; the server reads its `passed` (Int8ReportSummary, model-layout.ts). */
export interface QuantizationReport extends Int8ReportSummary {
  readonly tool: 'hub-inference quantize';
  readonly model: string;
  readonly fp32File: string;
  readonly int8File: string;
  readonly fp32Sha256: string;
  readonly settings: Readonly<Record<string, unknown>>;
  /** The host the gate ran on (its verdict holds on hosts whose int8 kernels behave alike: model-layout.ts). */
  readonly verifiedOn: Int8Host;
  readonly quantizedNodes: number;
  readonly skippedNodes: readonly { node: string; op: string; reason: string }[];
  readonly validationRows: number;
  readonly accuracy: Readonly<Record<string, OutputAccuracy>>;
  readonly speed: { readonly fp32: SpeedFigures; readonly int8: SpeedFigures; readonly speedupBatch1: number; readonly speedupBatch32: number };
  readonly sizes: { readonly fp32Bytes: number; readonly int8Bytes: number; readonly ratio: number };
  readonly gate: AccuracyGate;
  readonly failures: readonly string[];
  readonly passed: boolean;
  readonly createdAt: string;
}

/** Checks accuracy against the gate; returns the failed conditions (empty = passed). */
export function checkGate(accuracy: Readonly<Record<string, OutputAccuracy>>, gate: AccuracyGate): string[] {
  const failures: string[] = [];
  for (const [name, a] of Object.entries(accuracy)) {
    if (!(a.cosine >= gate.minCosine)) failures.push(`${name}: cosine ${a.cosine.toFixed(6)} < ${gate.minCosine}`);
    if (!(a.relativeL2 <= gate.maxRelL2)) failures.push(`${name}: relative L2 ${a.relativeL2.toFixed(5)} > ${gate.maxRelL2}`);
    if (a.top1Agreement !== undefined && !(a.top1Agreement >= gate.minTop1Agreement)) failures.push(`${name}: top-1 agreement ${(100 * a.top1Agreement).toFixed(2)}% < ${100 * gate.minTop1Agreement}%`);
  }
  return failures;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** A plain-text table of the report for the terminal. */
export function formatReport(r: QuantizationReport): string {
  const lines: string[] = [];
  lines.push(`INT8 quantization of ${r.model}: ${r.quantizedNodes} nodes quantized, ${r.skippedNodes.length} left FP32, ${r.validationRows} validation rows`);
  lines.push(`int8 weights: ${r.settings['weightRange'] === 'reduced' ? '7 bits [-63, 63]' : 'full range [-127, 127]'}; verified on ${r.verifiedOn.describe}`);
  lines.push('');
  lines.push(`${pad('output', 14)}${pad('max |err|', 12)}${pad('rel L2', 10)}${pad('cosine', 11)}top-1`);
  for (const [n, a] of Object.entries(r.accuracy)) {
    lines.push(`${pad(n, 14)}${pad(a.maxAbsError.toExponential(2), 12)}${pad(a.relativeL2.toFixed(5), 10)}${pad(a.cosine.toFixed(6), 11)}${a.top1Agreement === undefined ? '-' : `${(100 * a.top1Agreement).toFixed(2)}%`}`);
  }
  lines.push('');
  lines.push(`${pad('variant', 9)}${pad('batch 1 ms', 12)}${pad('rows/s', 10)}${pad('batch 32 ms', 13)}${pad('rows/s', 10)}size`);
  const row = (name: string, s: SpeedFigures, bytes: number): string =>
    `${pad(name, 9)}${pad(s.batch1Ms.toFixed(2), 12)}${pad(s.batch1RowsPerSec.toFixed(0), 10)}${pad(s.batch32Ms.toFixed(2), 13)}${pad(s.batch32RowsPerSec.toFixed(0), 10)}${(bytes / 1e6).toFixed(2)} MB`;
  lines.push(row('FP32', r.speed.fp32, r.sizes.fp32Bytes));
  lines.push(row('INT8', r.speed.int8, r.sizes.int8Bytes));
  lines.push(`speed-up: ${r.speed.speedupBatch1.toFixed(2)}x at batch 1, ${r.speed.speedupBatch32.toFixed(2)}x at batch 32; size ${(100 * r.sizes.ratio).toFixed(0)}% of FP32`);
  lines.push('');
  lines.push(r.passed
    ? `gate PASSED (cosine >= ${r.gate.minCosine}, rel L2 <= ${r.gate.maxRelL2}, top-1 >= ${100 * r.gate.minTop1Agreement}%): the server may serve INT8 under AUTO`
    : `gate FAILED: ${r.failures.join('; ')}: the server will serve FP32`);
  return lines.join('\n');
}
