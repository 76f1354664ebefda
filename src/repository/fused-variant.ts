/**
 * The FP32 file a CPU server serves: the model with its attention blocks fused (src/onnx/attention-fusion.ts)
 * when that rewrite applies, gives the same answers and is faster on this host; otherwise the model as it is.
 *
 * The fused model is checked before it serves, against the original, in this process:
 * - **Answers.** Both run the same sample batches (1 row and a few); every output must agree within
 *   MAX_REL_DIFF of its largest magnitude. The rewrite changes rounding only; anything more means it is wrong
 *   for this model and the original serves.
 * - **Speed.** Both are timed, interleaved, at those sizes (fastest of ROUNDS rounds on an all-core session, as
 *   a lone request on an idle server runs). The fused model serves unless it took clearly more time in total
 *   (SLOWER_TOLERANCE). The profile then measures it like any other variant. Measured on the build machine for lead-intent, fused
 *   against not: batch 1 3-4% faster on two threads and 3% on one; batch 8 4-5% on two, equal on one.
 *
 * The fused file is written to `dir` under a name taken from the original's bytes, and rewritten on every load
 * (a stale file is never trusted). With `HUB_FUSE_ATTENTION=false` nothing is rewritten.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type ort from 'onnxruntime-node';
import { fuseAttention, type AttentionFusion } from '../onnx/attention-fusion.js';
import { decodeModel, decodeModelStructure, encodeModel, type ModelProto } from '../onnx/onnx-io.js';
import { createSession, toFeeds } from '../engine/ort-session.js';
import type { NamedTensors } from '../tensor/tensor.js';

/** Largest output difference accepted, relative to the output's largest magnitude. */
export const MAX_REL_DIFF = 1e-4;
/** Interleaved timing rounds per batch size. */
const ROUNDS = 7;
/**
 * How much slower (fastest round against fastest round) the fused model may be and still serve: it gives the
 * same answers, so only a clear loss keeps the original. Start-up is noisy (other models warm meanwhile), and
 * an unfused model that measured 6% faster in one start-up check was 3-4% slower in every quiet one.
 */
const SLOWER_TOLERANCE = 1.03;

/** What was decided for a model's FP32 file. */
export interface FusedVariant {
  /** The file to serve: the fused one, or the original. */
  readonly path: string;
  /** Attention blocks fused in the file served (0: the original serves). */
  readonly blocks: number;
  /** One line on what was done and measured, or why the original serves (undefined: nothing to fuse). */
  readonly summary: string | undefined;
}

/** Largest |a - b| over the largest |b| (at least 1e-12), over all elements. */
function relDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= diff)) diff = d; // NaN counts as a difference
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / scale;
}

/**
 * Compares and times the two sessions on the samples; resolves the largest relative difference over every
 * float output, and the summed fastest-round times (us) of the original and the fused model.
 */
async function compare(original: ort.InferenceSession, fused: ort.InferenceSession, samples: readonly NamedTensors[]): Promise<{ diff: number; originalUs: number; fusedUs: number }> {
  let diff = 0;
  let originalUs = 0;
  let fusedUs = 0;
  for (const sample of samples) {
    const feeds = toFeeds(sample);
    const [a, b] = [await original.run(feeds), await fused.run(feeds)];
    for (const [name, t] of Object.entries(a)) {
      const f = b[name];
      if (!f || f.type !== t.type || f.dims.join() !== t.dims.join()) return { diff: Infinity, originalUs: 0, fusedUs: 0 };
      if (t.type === 'float32') diff = Math.max(diff, relDiff(f.data as Float32Array, t.data as Float32Array));
      else if (String(f.data) !== String(t.data)) return { diff: Infinity, originalUs: 0, fusedUs: 0 };
    }
    const times: [number[], number[]] = [[], []];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating which goes first, so neither always runs on the caches the other just filled.
      for (const i of r % 2 === 0 ? [0, 1] : [1, 0]) {
        const t0 = performance.now();
        await (i === 0 ? original : fused).run(feeds);
        times[i as 0 | 1].push((performance.now() - t0) * 1000);
      }
    }
    // The fastest round: what noise on a shared host (or a model warming meanwhile) adds is never negative.
    originalUs += Math.min(...times[0]);
    fusedUs += Math.min(...times[1]);
  }
  return { diff, originalUs, fusedUs };
}

/** What tests change: the rewrite, and how much slower it may be. */
export interface FusionCheck {
  readonly rewrite?: (model: ModelProto) => AttentionFusion;
  readonly slowerTolerance?: number;
}

/**
 * The FP32 file to serve for `modelPath`: see the module comment. `samples` are the batches to check with
 * (valid inputs of the model); `dir` is where a fused file is written.
 */
export async function fusedVariant(modelPath: string, samples: readonly NamedTensors[], dir: string, check: FusionCheck = {}): Promise<FusedVariant> {
  const bytes = await readFile(modelPath);
  // Most models have no attention: the structure (no tensor values) says so without decoding the weights.
  if (!decodeModelStructure(bytes).graph?.node?.some((n) => n.opType === 'Softmax')) return { path: modelPath, blocks: 0, summary: undefined };
  const { model, blocks } = (check.rewrite ?? fuseAttention)(decodeModel(bytes));
  if (blocks === 0) return { path: modelPath, blocks: 0, summary: undefined };
  const fusedBytes = encodeModel(model);
  // All cores (ONNX Runtime's default, 0): the hand-offs to the intra-op threads that fusion saves cost most there.
  const settings = { provider: 'cpu', intraOpThreads: 0, graphOptimizationLevel: 'extended' } as const;
  const original = (await createSession(bytes, settings)).session;
  let fused: ort.InferenceSession | undefined;
  try {
    fused = (await createSession(fusedBytes, settings)).session;
    const { diff, originalUs, fusedUs } = await compare(original, fused, samples);
    const gain = `${blocks} attention block${blocks > 1 ? 's' : ''} fusable`;
    if (!(diff <= MAX_REL_DIFF)) return { path: modelPath, blocks: 0, summary: `${gain}, not served: outputs differ by ${diff.toExponential(1)} of their magnitude (limit ${MAX_REL_DIFF})` };
    const speed = `${Math.round(fusedUs)} vs ${Math.round(originalUs)} us over batches of ${samples.map((s) => Object.values(s)[0]?.shape[0]).join(' and ')} rows`;
    if (!(fusedUs <= originalUs * (check.slowerTolerance ?? SLOWER_TOLERANCE))) return { path: modelPath, blocks: 0, summary: `${gain}, not served: not faster here (${speed})` };
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${path.basename(modelPath, '.onnx')}-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.fused.onnx`);
    const tmp = `${file}.tmp-${process.pid}-${randomUUID()}`;
    await writeFile(tmp, fusedBytes);
    await rename(tmp, file);
    return { path: file, blocks, summary: `${blocks} attention block${blocks > 1 ? 's' : ''} fused: ${speed}, outputs within ${diff.toExponential(1)} of their magnitude` };
  } finally {
    await original.release();
    await fused?.release();
  }
}
