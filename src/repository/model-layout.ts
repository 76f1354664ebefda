/**
 * The on-disk layout of the model repository, in one place for the server, the quantizer, the bench and the
 * bundled-model builder: `<repo>/<name>/[config.json]`, `<name>/<version>/model.onnx` (+ `model.int8.onnx` with
 * its verification report `model.int8.report.json`, + `model.fp16.onnx`); versions order numerically.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { thisInt8Host, type Int8Host } from '../engine/int8-host.js';

/** A concrete variant. */
export type VariantName = 'fp32' | 'int8' | 'fp16';

/** The file of each variant inside a version directory. */
export const VARIANT_FILES: Readonly<Record<VariantName, string>> = Object.freeze({ fp32: 'model.onnx', int8: 'model.int8.onnx', fp16: 'model.fp16.onnx' });
/** The optional model config inside a model directory. */
export const CONFIG_FILE = 'config.json';
/** The INT8 file's verification report (written by the quantizer beside it; `passed` decides serving). */
export const INT8_REPORT_FILE = 'model.int8.report.json';

/** What the server reads from an INT8 verification report (the quantizer writes the whole QuantizationReport). */
export interface Int8ReportSummary {
  readonly passed: boolean;
  /** Its `weightRange` ('full' | 'reduced') is absent in reports written before it was recorded: those used the full range. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Absent in reports written before the host was recorded. */
  readonly verifiedOn?: Pick<Int8Host, 'saturates' | 'describe'>;
}

/**
 * Why a passed INT8 report's verdict does not hold on `host`, or undefined when it does. A file with full-range
 * int8 weights that passed on a CPU whose u8 x s8 products do not saturate (VNNI, ARM) can fail badly on one
 * whose products do (AVX2 without VNNI: lead-intent fell from cosine 0.99999 to 0.98693; src/engine/int8-host.ts).
 * A reduced-range file, or one verified on a saturating CPU, holds everywhere.
 */
export function int8VerdictDoesNotHold(report: Int8ReportSummary, host: Int8Host): string | undefined {
  if (!host.saturates || report.settings?.['weightRange'] === 'reduced' || report.verifiedOn?.saturates === true) return undefined;
  const where = report.verifiedOn ? `on a CPU whose int8 products do not saturate (${report.verifiedOn.describe})` : 'on a host the report does not name';
  return `its accuracy gate passed with full-range int8 weights ${where}, and this CPU's can (${host.describe}); re-run \`npm run quantize\` on this host (it reduces the weights to 7 bits here)`;
}

/** A variant file found on disk. */
export interface VariantFile {
  readonly variant: VariantName;
  readonly path: string;
  /** False for an INT8 file whose verification report is missing or failed its accuracy gate. */
  readonly usable: boolean;
  readonly reason?: string;
}

/** Version order: numeric where both are numbers, else lexical. */
export function compareVersions(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a.localeCompare(b);
}

/** The versions of a model directory that hold a model.onnx, oldest first. */
export function modelVersions(modelDir: string): string[] {
  return readdirSync(modelDir).filter((v) => statSync(path.join(modelDir, v)).isDirectory() && existsSync(path.join(modelDir, v, VARIANT_FILES.fp32))).sort(compareVersions);
}

/**
 * Where the INT8 file and its report go for an FP32 file: `x.onnx` -> `x.int8.onnx` + `x.int8.report.json`
 * (for the repository's `model.onnx`, exactly VARIANT_FILES.int8 and INT8_REPORT_FILE); `out` overrides.
 */
export function int8OutputsFor(fp32File: string, out?: string): { outFile: string; reportFile: string } {
  const outFile = out ?? fp32File.replace(/\.onnx$/, '.int8.onnx');
  return { outFile, reportFile: outFile.replace(/\.onnx$/, '.report.json') };
}

/** The latest version's file of a variant in a model directory, or undefined. */
export function latestVariantFile(modelDir: string, variant: VariantName): string | undefined {
  if (!existsSync(modelDir)) return undefined;
  for (const v of modelVersions(modelDir).reverse()) {
    const f = path.join(modelDir, v, VARIANT_FILES[variant]);
    if (existsSync(f)) return f;
  }
  return undefined;
}

/** Finds the variant files of a version directory and whether each is usable on `host` (default: this one). */
export function variantFiles(dir: string, host: Int8Host = thisInt8Host()): VariantFile[] {
  const out: VariantFile[] = [];
  for (const variant of ['fp32', 'int8', 'fp16'] as const) {
    const file = path.join(dir, VARIANT_FILES[variant]);
    if (!existsSync(file)) continue;
    if (variant !== 'int8') { out.push({ variant, path: file, usable: true }); continue; }
    try {
      const r = JSON.parse(readFileSync(path.join(dir, INT8_REPORT_FILE), 'utf8')) as Int8ReportSummary;
      const reason = r.passed === true ? int8VerdictDoesNotHold(r, host) : 'its verification report says it failed the accuracy gate';
      out.push(reason ? { variant, path: file, usable: false, reason } : { variant, path: file, usable: true });
    } catch {
      out.push({ variant, path: file, usable: false, reason: `it has no verification report (${INT8_REPORT_FILE})` });
    }
  }
  return out;
}
