/**
 * CLI: builds the bundled ONNX models deterministically (`npm run models`, after `npm run build`).
 *   node dist/models/builder/build-models.js [--out <repoDir>] [--force]
 * Prints one line per model; exits 1 on any error or unknown argument.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeBundledModels } from './bundled-models.js';

function main(): void {
  const { values } = parseArgs({
    options: { out: { type: 'string', default: 'models' }, force: { type: 'boolean', default: false } },
    strict: true,
    allowPositionals: false,
  });
  const out = path.resolve(values.out);
  for (const r of writeBundledModels(out, { force: values.force })) {
    const rel = path.relative(process.cwd(), r.file) || r.file;
    const mb = (r.bytes / 1e6).toFixed(1);
    const cfg = r.configCopied ? ' +config.json' : '';
    const stale = r.int8Stale ? ' (model.int8.onnx is now stale: re-run quantize)' : '';
    console.log(`${r.name.padEnd(18)} ${r.status.padEnd(9)} ${rel} ${mb} MB sha256:${r.sha256.slice(0, 16)}${cfg} (${Math.round(r.ms)} ms)${stale}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`build-models: ${(e as Error).message}`);
  process.exit(1);
}
