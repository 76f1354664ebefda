/**
 * The INT8 options side by side, per model, in one table: accuracy against FP32 (as the quantize report
 * computes it), speed at batch 1 and 32 (medians of interleaved runs, one intra-op thread, EXTENDED: the
 * engine workers' settings), and row isolation: how far a victim row's outputs move when it shares its batch.
 *
 *   node dist/bench/quantize/row-isolation.js [model dir ...] [--rounds N]     (default: every model in models/)
 *
 * Options, all built here from the FP32 model with the project's quantizers:
 * - per-tensor: DynamicQuantizeLinear, one activation scale per batch (`--activations per-tensor-batch-dependent`);
 * - per-row: one scale per row / token (the default of `npm run quantize`);
 * - static: QDQ with MinMax ranges calibrated on 256 generated rows (`--mode static`).
 * "moved" is max |victim alone - victim in the batch| / max |victim alone| over the victim's outputs, the
 * worst of 4 victims, each as row 0 of a 32-row batch with 31 ordinary rows and, for float inputs, with 31
 * rows of 1e4. Requirement for the served option: <= 1e-6 (FP32 rounding).
 */
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import type ort from 'onnxruntime-node';
import { encodeModel, readModel, type ModelProto } from '../../src/onnx/onnx-io.js';
import { fromOrtTensor, toFeeds } from '../../src/engine/ort-session.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { concatRows, sliceRows, type HostTensor } from '../../src/tensor/tensor.js';
import { quantizeDynamic } from '../../quantize/dynamic-quantizer.js';
import { calibrate, quantizeStatic } from '../../quantize/static-quantizer.js';
import { configFor, generatedRanges } from '../../quantize/inputs.js';
import { compareOutputs, interleavedMedians, loadSession, runFloat, type OutputAccuracy } from '../../quantize/verify.js';

const VICTIMS = 4;
const MATES = 31;
const EXTREME = 1e4;

/** One option's figures. */
interface Row {
  readonly label: string;
  readonly accuracy: OutputAccuracy[];
  b1: number;
  b32: number;
  readonly movedOrdinary: number;
  readonly movedExtreme: number | undefined;
}

type Inputs = Record<string, HostTensor>;

function floats(t: HostTensor): Float32Array {
  return new Float32Array(new Uint8Array(t.data).buffer);
}

function rowsOf(inputs: Inputs, start: number, count: number): Inputs {
  return Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, sliceRows(t, start, count)]));
}

/** The worst relative movement of the victims' outputs when batched with `mates`. */
async function moved(s: ort.InferenceSession, victims: Inputs, mates: Inputs): Promise<number> {
  let worst = 0;
  for (let v = 0; v < VICTIMS; v++) {
    const victim = rowsOf(victims, v, 1);
    const batch = Object.fromEntries(Object.keys(victim).map((k) => [k, concatRows([victim[k] as HostTensor, mates[k] as HostTensor], true)]));
    const alone = await s.run(toFeeds(victim));
    const together = await s.run(toFeeds(batch));
    for (const name of Object.keys(alone)) {
      const a = floats(fromOrtTensor(alone[name] as ort.Tensor));
      const b = floats(sliceRows(fromOrtTensor(together[name] as ort.Tensor), 0, 1));
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < a.length; i++) { diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number))); scale = Math.max(scale, Math.abs(a[i] as number)); }
      worst = Math.max(worst, scale > 0 ? diff / scale : diff);
    }
  }
  return worst;
}

async function measureModel(dir: string, rounds: number): Promise<string[]> {
  const file = path.join(dir, '1', 'model.onnx');
  const fp32 = readModel(file);
  const cfg = configFor(file, fp32);
  const ranges = generatedRanges(cfg, fp32);
  // The pipeline's seeds (quantize/pipeline.ts), so accuracy matches what the reports say.
  const calibration = sampleInputs(cfg, 256, 7_777, ranges);
  const validation = sampleInputs(cfg, 256, 20_241, ranges);
  const staticOptions = { perChannel: true, method: 'minmax' as const, percentile: 99.99 };
  const options: [string, ModelProto][] = [
    ['FP32', fp32],
    ['INT8 per-tensor (batch-dependent)', quantizeDynamic(fp32, { perChannel: true, activations: 'per-tensor-batch-dependent' }).model],
    ['INT8 per-row (default)', quantizeDynamic(fp32, { perChannel: true }).model],
    ['INT8 static QDQ (minmax)', quantizeStatic(fp32, await calibrate(fp32, calibration, staticOptions), staticOptions).model],
  ];
  const sessions = await Promise.all(options.map(([, m]) => loadSession(encodeModel(m))));
  try {
    const floatInputs = cfg.inputs.every((i) => i.dtype === 'float32');
    const victims = sampleInputs(cfg, VICTIMS, 11, ranges);
    const ordinary = sampleInputs(cfg, MATES, 12, ranges);
    const extreme = floatInputs ? Object.fromEntries(Object.entries(sampleInputs(cfg, MATES, 13, ranges)).map(([k, t]) => [k, { ...t, data: new Uint8Array(new Float32Array(t.data.byteLength / 4).fill(EXTREME).buffer) }])) : undefined;

    const reference: Record<string, { data: Float32Array; dims: number[] }>[] = [];
    for (let start = 0; start < 256; start += 64) reference.push(await runFloat(sessions[0] as ort.InferenceSession, toFeeds(rowsOf(validation, start, 64))));
    const rows: Row[] = [];
    for (const [i, [label]] of options.entries()) {
      const s = sessions[i] as ort.InferenceSession;
      const got: Record<string, { data: Float32Array; dims: number[] }>[] = [];
      for (let start = 0; start < 256; start += 64) got.push(await runFloat(s, toFeeds(rowsOf(validation, start, 64))));
      const accuracy = Object.keys(reference[0] ?? {}).map((name) => {
        const cat = (parts: Record<string, { data: Float32Array }>[]): Float32Array => Float32Array.from(parts.flatMap((p) => Array.from(p[name]?.data ?? [])));
        return compareOutputs(cat(reference), cat(got), reference[0]?.[name]?.dims ?? [1]);
      });
      rows.push({ label, accuracy, b1: 0, b32: 0, movedOrdinary: await moved(s, victims, ordinary), movedExtreme: extreme ? await moved(s, victims, extreme) : undefined });
    }
    const b1 = await interleavedMedians(sessions, toFeeds(sampleInputs(cfg, 1, 1, ranges)), rounds);
    const b32 = await interleavedMedians(sessions, toFeeds(sampleInputs(cfg, 32, 2, ranges)), rounds);
    rows.forEach((r, i) => { r.b1 = b1[i] as number; r.b32 = b32[i] as number; });

    const base = rows[0] as Row;
    const worst = (r: Row, f: (a: OutputAccuracy) => number, pick: (x: number, y: number) => number): number => r.accuracy.map(f).reduce(pick);
    return rows.map((r, i) => {
      const top1 = r.accuracy.some((a) => a.top1Agreement !== undefined) ? `${(100 * worst(r, (a) => a.top1Agreement ?? 1, Math.min)).toFixed(1)}%` : '-';
      const acc = i === 0 ? '| - | - | - | - ' : `| ${worst(r, (a) => a.cosine, Math.min).toFixed(6)} | ${worst(r, (a) => a.relativeL2, Math.max).toFixed(5)} | ${worst(r, (a) => a.maxAbsError, Math.max).toExponential(2)} | ${top1} `;
      return `| ${path.basename(dir)} | ${r.label} ${acc}| ${r.b1.toFixed(3)} (${(base.b1 / r.b1).toFixed(2)}x) | ${r.b32.toFixed(3)} (${(base.b32 / r.b32).toFixed(2)}x) | ${r.movedOrdinary.toExponential(1)} | ${r.movedExtreme === undefined ? '-' : r.movedExtreme.toExponential(1)} |`;
    });
  } finally {
    for (const s of sessions) await s.release();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--rounds');
  const rounds = at >= 0 ? Number(args[at + 1]) : 30;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds expects a positive integer');
  const given = args.filter((_, i) => i !== at && i !== at + 1);
  const dirs = given.length > 0 ? given : readdirSync('models').sort().map((d) => path.join('models', d)).filter((d) => existsSync(path.join(d, 'config.json')) && existsSync(path.join(d, '1', 'model.onnx')));
  if (dirs.length === 0) throw new Error('usage: row-isolation [model dir ...] [--rounds N] (run from the repository root after npm run models)');
  const lines = [
    `INT8 options: accuracy vs FP32 on 256 rows; ms are medians of ${rounds} interleaved runs (1 intra-op thread, EXTENDED); moved = max relative change of a victim row's outputs in a 32-row batch with ${MATES} ordinary rows / ${MATES} rows of ${EXTREME} (float inputs only)`,
    '',
    '| model | option | cosine | rel L2 | max abs err | top-1 | batch 1 ms | batch 32 ms | moved, ordinary mates | moved, 1e4 mates |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const dir of dirs) lines.push(...await measureModel(dir, rounds));
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((e: unknown) => { process.stderr.write(`${(e as Error).message}\n`); process.exit(1); });
