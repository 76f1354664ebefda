/**
 * Whether this CPU's integer matrix kernels can saturate on full-range int8 weights.
 *
 * Dynamic INT8 runs MatMulInteger on uint8 activations x int8 weights. On an x86-64 CPU without VNNI, ONNX
 * Runtime's kernel multiplies those pairs with AVX2's `vpmaddubsw`, which adds two u8 x s8 products into a
 * signed 16-bit lane with saturation: 255 x 127 x 2 = 64,770 does not fit in 32,767, so rows with large
 * activations come out wrong. VNNI (`vpdpbusd`, AVX512-VNNI or AVX-VNNI) accumulates in 32 bits and does not
 * saturate; ARM's dot-product instructions do not either. ONNX Runtime's own quantization tool documents the
 * same limit and answers it with "reduce range": weights in 7 bits. Here they are symmetric in [-63, 63], so
 * 255 x 63 x 2 = 32,130 fits.
 *
 * Measured on an AVX2-only AMD EPYC (this project's build machine, one run of `npm run models`): lead-intent's
 * full-range INT8 had cosine 0.98693, relative L2 0.162 and 90.6% top-1 agreement with FP32 (its gate failed),
 * and the same model with 7-bit weights had cosine 0.99998, relative L2 0.0060 and 99.2% (passed). On a VNNI
 * host the full-range file had cosine 0.99999 and relative L2 0.0047.
 *
 * The quantizer reduces the range when the host it runs on can saturate (quantize/cli.ts `--weight-range`), and
 * the server will not serve a full-range INT8 file verified on a non-saturating host when it runs on one that
 * saturates (model-layout.ts): the accuracy gate's verdict does not carry over.
 */
import { readFileSync } from 'node:fs';

/** What the INT8 kernels of a CPU can do, as far as the accuracy of full-range weights is concerned. */
export interface Int8Host {
  /** `process.arch` of the host. */
  readonly arch: string;
  /** The CPU has VNNI (x86-64 only; false elsewhere and when unknown). */
  readonly vnni: boolean;
  /** u8 x s8 products of full-range int8 weights can saturate here. */
  readonly saturates: boolean;
  /** One line for logs and reports. */
  readonly describe: string;
}

/** CPU flags that give x86-64 a 32-bit-accumulating u8 x s8 dot product. */
const VNNI_FLAGS = ['avx512_vnni', 'avx_vnni', 'amx_int8'];

/**
 * This host's INT8 facts, from `process.arch` and the flags of /proc/cpuinfo. An x86-64 host whose flags
 * cannot be read counts as saturating: reduced range is the safe side (it costs a little accuracy, never
 * correctness). Pass `cpuinfo` and `arch` to classify another host's text (tests).
 */
export function int8Host(arch: string = process.arch, cpuinfo?: string): Int8Host {
  if (arch !== 'x64' && arch !== 'ia32') return { arch, vnni: false, saturates: false, describe: `${arch}: int8 dot products accumulate in 32 bits` };
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return { arch, vnni: false, saturates: true, describe: `${arch}, CPU flags unreadable: assumed to saturate on full-range int8 weights` };
    }
  }
  const flagsLine = text.split('\n').find((l) => /^flags\s*:/.test(l));
  const flags = new Set((flagsLine?.split(':')[1] ?? '').trim().split(/\s+/));
  const vnni = VNNI_FLAGS.find((f) => flags.has(f));
  if (vnni) return { arch, vnni: true, saturates: false, describe: `${arch} with ${vnni}: u8 x s8 products accumulate in 32 bits` };
  const isa = flags.has('avx512bw') ? 'AVX-512 without VNNI' : flags.has('avx2') ? 'AVX2 without VNNI' : flagsLine ? 'no AVX2 or VNNI' : 'CPU flags unknown';
  return { arch, vnni: false, saturates: true, describe: `${arch}, ${isa}: u8 x s8 products saturate in 16 bits on full-range int8 weights` };
}

let cached: Int8Host | undefined;

/** This host's INT8 facts (read once). */
export function thisInt8Host(): Int8Host {
  cached ??= int8Host();
  return cached;
}

/** Range of int8 weights: full [-127, 127], or reduced to 7 bits [-63, 63] where products can saturate. */
export type WeightRange = 'full' | 'reduced';

/** The weight range that keeps int8 answers right on `host`: reduced where its products saturate. */
export function weightRangeFor(host: Int8Host = thisInt8Host()): WeightRange {
  return host.saturates ? 'reduced' : 'full';
}

/** The largest magnitude of a quantized int8 weight in a range. */
export function weightLimit(range: WeightRange): number {
  return range === 'reduced' ? 63 : 127;
}
