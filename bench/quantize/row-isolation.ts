/**
 * INT8 options side by side on one model: speed at batch 1 and 32 (medians of interleaved runs, one intra-op
 * thread, as the engine workers run) and row isolation: how far a victim row's output moves when it shares
 * its batch with other rows (for float inputs a row of 1e4s; for token ids 31 ordinary rows).
 *
 *   node dist/bench/quantize/row-isolation.js <model dir> [label=file.onnx ...]
 *
 * Without extra files it compares the FP32 model with the variant the repository serves (model.int8.onnx).
 * Make the other options with the quantizer, e.g.
 *   npm run quantize -- models/lead-intent --activations per-tensor-batch-dependent --out /tmp/pt.onnx
 *   npm run quantize -- models/lead-intent --mode static --out /tmp/static.onnx
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createSession, fromOrtTensor, toFeeds } from '../../src/engine/ort-session.js';
import { readModelConfig } from '../../src/repository/model-config.js';
import { sampleInputs } from '../../src/repository/sample-inputs.js';
import { concatRows, sliceRows, type HostTensor } from '../../src/tensor/tensor.js';

const ROUNDS = 30;

function floats(t: HostTensor): Float32Array {
  return new Float32Array(new Uint8Array(t.data).buffer);
}

async function main(): Promise<void> {
  const [dir, ...extra] = process.argv.slice(2);
  if (!dir) throw new Error('usage: row-isolation <model dir> [label=file.onnx ...]');
  const name = path.basename(path.resolve(dir));
  const cfg = readModelConfig(path.join(dir, 'config.json'), name);
  const files: [string, string][] = [['fp32', path.join(dir, '1', 'model.onnx')], ['served int8', path.join(dir, '1', 'model.int8.onnx')]];
  for (const e of extra) { const [label, file] = e.split('='); if (label && file) files.push([label, file]); }
  const sessions = await Promise.all(files.map(async ([, f]) => (await createSession(f, { provider: 'cpu', intraOpThreads: 1, graphOptimizationLevel: 'extended' })).session));

  // Speed: every session runs the same batch in turn, round after round; medians per session.
  const speed: number[][] = [];
  for (const b of [1, 32]) {
    const feeds = toFeeds(sampleInputs(cfg, b, 5));
    for (const s of sessions) for (let i = 0; i < 3; i++) await s.run(feeds);
    const t = sessions.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, s] of sessions.entries()) { const a = performance.now(); await s.run(feeds); t[i]!.push(performance.now() - a); }
    }
    speed.push(t.map((v) => v.sort((x, y) => x - y)[Math.floor(v.length / 2)] as number));
  }

  // Row isolation: the victim alone, then as row 0 of a batch with other rows.
  const victim = sampleInputs(cfg, 1, 11);
  const floatInput = cfg.inputs.every((i) => i.dtype === 'float32');
  const mates = sampleInputs(cfg, 31, 12);
  if (floatInput) for (const t of Object.values(mates)) new Float32Array(t.data.buffer).fill(1e4);
  const batch: Record<string, HostTensor> = {};
  for (const n of Object.keys(victim)) batch[n] = concatRows([victim[n] as HostTensor, mates[n] as HostTensor], true);
  const moved: number[] = [];
  for (const s of sessions) {
    const alone = await s.run(toFeeds(victim));
    const together = await s.run(toFeeds(batch));
    let m = 0;
    for (const out of Object.keys(alone)) {
      const a = floats(fromOrtTensor(alone[out]!));
      const b = floats(sliceRows(fromOrtTensor(together[out]!), 0, 1));
      for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)) / Math.max(1, Math.abs(a[i] as number)));
    }
    moved.push(m);
  }

  const rows = files.map(([label], i) => {
    const b1 = speed[0]![i]!; const b32 = speed[1]![i]!;
    return `| ${label} | ${b1.toFixed(3)} | ${(speed[0]![0]! / b1).toFixed(2)}x | ${b32.toFixed(3)} | ${(speed[1]![0]! / b32).toFixed(2)}x | ${moved[i]!.toExponential(2)} |`;
  });
  process.stdout.write([`${name}: medians of ${ROUNDS} interleaved runs, 1 intra-op thread; row isolation = max relative change of a victim row's outputs batched with ${floatInput ? '31 rows of 1e4' : '31 other rows'}`,
    '| variant | batch 1 ms | vs FP32 | batch 32 ms | vs FP32 | row moved by |', '|---|---|---|---|---|---|', ...rows, ''].join('\n'));
  for (const s of sessions) await s.release();
}

main().catch((e: unknown) => { process.stderr.write(`${(e as Error).message}\n`); process.exit(1); });
