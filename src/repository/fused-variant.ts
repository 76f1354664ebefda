/**
 * How a CPU server serves a model's FP32 variant: the graph as it is, or with its attention blocks fused
 * (src/onnx/attention-fusion.ts), and with or without ONNX Runtime's SkipLayerNormalization fusion. Decided when
 * the version loads, from a measurement on this host; nothing changes the model's answers beyond rounding.
 *
 * Candidates, each checked against the model as it is, in this process, on the same sample batches (1 row and a
 * few):
 * - **as it is**, ONNX Runtime's optimizers as configured;
 * - **fused**, when the model has attention blocks the rewrite matches;
 * - **without SkipLayerNormFusion** (on the fused graph when there is one), when the graph has a LayerNormalization
 *   fed by an Add, the pattern ONNX Runtime fuses into SkipLayerNormalization. Measured on the build machine (ONNX
 *   Runtime 1.30, AVX-512 Xeon), that fused kernel made lead-intent FP32 9-16% slower than the Add and the
 *   LayerNormalization it replaces, on one and on two threads, at 1 and 8 rows (docs/benchmarks/2026-12-05-attention-fusion.md);
 *   another build or CPU may differ, hence the measurement.
 *
 * **Answers.** Every output of a candidate must agree within MAX_REL_DIFF of its largest magnitude; a candidate
 * that does not is never served. **Speed.** The candidates are timed, interleaved, at those sizes (fastest of ROUNDS
 * rounds on an all-core session, as a lone request on an idle server runs; noise on a shared host only adds time).
 * The fused graph serves unless it took clearly more time than the graph as it is (SLOWER_TOLERANCE): it is the
 * rewrite ONNX Runtime's own transformer optimizer makes. Leaving an optimizer out is a departure from ONNX
 * Runtime's defaults, so it needs a clear gain (FASTER_BY). The profile then measures what serves like any other
 * variant.
 *
 * A fused file is written to `dir` under a name taken from the original's bytes, and rewritten on every load (a
 * stale file is never trusted).
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ort from 'onnxruntime-node';
import { fuseAttention, type AttentionFusion } from '../onnx/attention-fusion.js';
import { decodeModel, decodeModelStructure, encodeModel, type ModelProto } from '../onnx/onnx-io.js';
import { sessionOptions, toFeeds } from '../engine/ort-session.js';
import type { NamedTensors } from '../tensor/tensor.js';

/** Largest output difference accepted, relative to the output's largest magnitude. */
export const MAX_REL_DIFF = 1e-4;
/** Interleaved timing rounds per batch size (other models warm meanwhile at start-up). */
const ROUNDS = 11;
/**
 * How much slower (fastest round against fastest round) the fused graph may be and still serve: it gives the same
 * answers, so only a clear loss keeps the original against start-up noise (other models warm meanwhile).
 */
const SLOWER_TOLERANCE = 1.03;
/** How much faster a session without an ONNX Runtime optimizer must be to serve that way. */
const FASTER_BY = 0.97;
/** The ONNX Runtime optimizer tried off, when the graph has its pattern. */
export const SKIP_LAYER_NORM_FUSION = 'SkipLayerNormFusion';

/** What was decided for a model's FP32 variant. */
export interface FusedVariant {
  /** The file to serve: the fused one, or the original. */
  readonly path: string;
  /** Attention blocks fused in the file served (0: the original serves). */
  readonly blocks: number;
  /** ONNX Runtime optimizers the variant's sessions leave out. */
  readonly disabledOptimizers: readonly string[];
  /** One line on what serves and what was measured (undefined: there was nothing to try). */
  readonly summary: string | undefined;
}

/** What tests change: the rewrite, and the two speed thresholds. */
export interface FusionCheck {
  readonly rewrite?: (model: ModelProto) => AttentionFusion;
  readonly slowerTolerance?: number;
  readonly fasterBy?: number;
}

interface Candidate {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly fused: boolean;
  readonly disabled: readonly string[];
  session?: ort.InferenceSession;
  diff: number;
  us: number;
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

/** The largest difference of a candidate's outputs from the reference's (Infinity: other names, types or shapes). */
function outputDiff(ref: ort.InferenceSession.ReturnType, got: ort.InferenceSession.ReturnType): number {
  let diff = 0;
  for (const [name, t] of Object.entries(ref)) {
    const f = got[name];
    if (!f || f.type !== t.type || f.dims.join() !== t.dims.join()) return Infinity;
    if (t.type === 'float32') diff = Math.max(diff, relDiff(f.data as Float32Array, t.data as Float32Array));
    else if (String(f.data) !== String(t.data)) return Infinity;
  }
  return diff;
}

/** Checks every candidate's answers against the first's and times them all, interleaved (fills diff and us). */
async function measure(candidates: Candidate[], samples: readonly NamedTensors[]): Promise<void> {
  for (const sample of samples) {
    const feeds = toFeeds(sample);
    const ref = await (candidates[0]?.session as ort.InferenceSession).run(feeds);
    for (const c of candidates.slice(1)) c.diff = Math.max(c.diff, outputDiff(ref, await (c.session as ort.InferenceSession).run(feeds)));
    const times = candidates.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) {
      // A different one goes first each round, so none always runs on the caches another just filled.
      for (let j = 0; j < candidates.length; j++) {
        const i = (j + r) % candidates.length;
        const t0 = performance.now();
        await (candidates[i]?.session as ort.InferenceSession).run(feeds);
        times[i]?.push((performance.now() - t0) * 1000);
      }
    }
    candidates.forEach((c, i) => { c.us += Math.min(...(times[i] as number[])); });
  }
}

/** Whether the graph has what SkipLayerNormFusion fuses: a LayerNormalization whose input an Add makes. */
function hasSkipLayerNormPattern(model: ModelProto): boolean {
  const adds = new Set((model.graph?.node ?? []).filter((n) => n.opType === 'Add').flatMap((n) => n.output ?? []));
  return (model.graph?.node ?? []).some((n) => n.opType === 'LayerNormalization' && adds.has(n.input?.[0] ?? ''));
}

/**
 * How to serve the FP32 variant at `modelPath`: see the module comment. `samples` are the batches to check with
 * (valid inputs of the model); `dir` is where a fused file is written.
 */
export async function fusedVariant(modelPath: string, samples: readonly NamedTensors[], dir: string, check: FusionCheck = {}): Promise<FusedVariant> {
  const asIs: FusedVariant = { path: modelPath, blocks: 0, disabledOptimizers: [], summary: undefined };
  const bytes = await readFile(modelPath);
  // The structure (no tensor values) says whether there is anything to try, without decoding the weights.
  const structure = decodeModelStructure(bytes);
  const attention = structure.graph?.node?.some((n) => n.opType === 'Softmax') ?? false;
  const fusion = attention ? (check.rewrite ?? fuseAttention)(decodeModel(bytes)) : { model: structure, blocks: 0 };
  const skipLayerNorm = hasSkipLayerNormPattern(fusion.model);
  if (fusion.blocks === 0 && !skipLayerNorm) return asIs;

  const fusedName = `${fusion.blocks} attention block${fusion.blocks === 1 ? '' : 's'} fused`;
  const candidates: Candidate[] = [{ name: 'as it is', bytes, fused: false, disabled: [], diff: 0, us: 0 }];
  const fusedBytes = fusion.blocks > 0 ? encodeModel(fusion.model) : undefined;
  if (fusedBytes) candidates.push({ name: fusedName, bytes: fusedBytes, fused: true, disabled: [], diff: 0, us: 0 });
  if (skipLayerNorm) candidates.push({ name: `${fusedBytes ? `${fusedName}, ` : ''}${SKIP_LAYER_NORM_FUSION} off`, bytes: fusedBytes ?? bytes, fused: fusedBytes !== undefined, disabled: [SKIP_LAYER_NORM_FUSION], diff: 0, us: 0 });
  try {
    for (const c of candidates) {
      // All cores (ONNX Runtime's default, 0): the hand-offs to the intra-op threads that fusion saves cost most there.
      // Each session's intra-op threads stop spinning when its run returns: otherwise the one timed next shares
      // the cores with the spinning threads of the one before (measured: a start-up that timed the graph as it is
      // 28% faster than in any other, and served it).
      const options = sessionOptions({ intraOpThreads: 0, graphOptimizationLevel: 'extended', disabledOptimizers: c.disabled });
      c.session = await ort.InferenceSession.create(c.bytes, { ...options, executionProviders: ['cpu'], extra: { ...options.extra, session: { force_spinning_stop: '1' } } });
    }
    await measure(candidates, samples);
  } finally {
    await Promise.all(candidates.map((c) => c.session?.release()));
  }

  const [original, fused, noSkip] = [candidates[0] as Candidate, candidates.find((c) => c.fused && c.disabled.length === 0), candidates.find((c) => c.disabled.length > 0)];
  const notes: string[] = [];
  let served = original;
  if (fused) {
    if (!(fused.diff <= MAX_REL_DIFF)) notes.push(`${fusion.blocks} attention blocks not fused: outputs differ by ${fused.diff.toExponential(1)} of their magnitude (limit ${MAX_REL_DIFF})`);
    else if (!(fused.us <= original.us * (check.slowerTolerance ?? SLOWER_TOLERANCE))) notes.push(`${fusion.blocks} attention blocks not fused: not faster here`);
    else served = fused;
  }
  // Leaving the optimizer out is tried on the graph that serves (the fused one, when there is one).
  if (noSkip && noSkip.fused === served.fused) {
    if (!(noSkip.diff <= MAX_REL_DIFF)) notes.push(`${SKIP_LAYER_NORM_FUSION} kept: outputs differ by ${noSkip.diff.toExponential(1)} without it`);
    else if (noSkip.us < served.us * (check.fasterBy ?? FASTER_BY)) served = noSkip;
    else notes.push(`${SKIP_LAYER_NORM_FUSION} kept: not clearly faster without it`);
  }
  const rows = samples.map((s) => Object.values(s)[0]?.shape[0]).join(' and ');
  const summary = `${served === original ? 'as it is' : served.name}${notes.length ? ` (${notes.join('; ')})` : ''}; fastest round over batches of ${rows} rows: ${candidates.map((c) => `${c.name} ${Math.round(c.us)} us`).join(', ')}; served outputs within ${served.diff.toExponential(1)} of the model's as it is`;
  if (!served.fused) return { path: modelPath, blocks: 0, disabledOptimizers: served.disabled, summary };
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${path.basename(modelPath, '.onnx')}-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.fused.onnx`);
  const tmp = `${file}.tmp-${process.pid}-${randomUUID()}`;
  await writeFile(tmp, served.bytes);
  await rename(tmp, file);
  return { path: file, blocks: fusion.blocks, disabledOptimizers: served.disabled, summary };
}
