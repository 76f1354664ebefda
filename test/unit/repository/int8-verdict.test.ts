import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { int8Host } from '../../../src/engine/int8-host.js';
import { int8VerdictDoesNotHold, variantFiles } from '../../../src/repository/model-layout.js';

const avx2 = int8Host('x64', 'flags\t: avx2 fma\n');
const vnni = int8Host('x64', 'flags\t: avx2 avx512bw avx512_vnni\n');

/** A version directory with an FP32 and an INT8 file (contents irrelevant here) and the given report. */
function versionDir(report: object): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'hub-verdict-')), '1');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'model.onnx'), 'x');
  writeFileSync(path.join(dir, 'model.int8.onnx'), 'x');
  writeFileSync(path.join(dir, 'model.int8.report.json'), JSON.stringify(report));
  return dir;
}

const int8Of = (dir: string, host: typeof avx2) => variantFiles(dir, host).find((v) => v.variant === 'int8');

describe('an INT8 gate verdict and the CPU it was reached on', () => {
  it('full range verified on a VNNI host: served there, not on an AVX2 host, with the reason and the fix', () => {
    const dir = versionDir({ passed: true, settings: { weightRange: 'full' }, verifiedOn: vnni });
    expect(int8Of(dir, vnni)).toMatchObject({ usable: true });
    const there = int8Of(dir, avx2);
    expect(there?.usable).toBe(false);
    expect(there?.reason).toMatch(/full-range int8 weights on a CPU whose int8 products do not saturate \(x64 with avx512_vnni/);
    expect(there?.reason).toMatch(/AVX2 without VNNI.*npm run quantize/);
  });

  it('reduced range holds everywhere', () => {
    const dir = versionDir({ passed: true, settings: { weightRange: 'reduced' }, verifiedOn: avx2 });
    expect(int8Of(dir, avx2)).toMatchObject({ usable: true });
    expect(int8Of(dir, vnni)).toMatchObject({ usable: true });
  });

  it('full range verified on a saturating host holds on one (the gate saw the saturation)', () => {
    expect(int8VerdictDoesNotHold({ passed: true, settings: { weightRange: 'full' }, verifiedOn: avx2 }, avx2)).toBeUndefined();
  });

  it('a report from before the range was recorded is full range from an unnamed host: not served where products saturate', () => {
    const dir = versionDir({ passed: true, settings: { mode: 'dynamic' } });
    expect(int8Of(dir, vnni)).toMatchObject({ usable: true });
    expect(int8Of(dir, avx2)).toMatchObject({ usable: false, reason: expect.stringMatching(/on a host the report does not name/) });
  });

  it('a failed gate stays failed whatever the host', () => {
    const dir = versionDir({ passed: false, settings: { weightRange: 'reduced' }, verifiedOn: vnni });
    for (const h of [avx2, vnni]) expect(int8Of(dir, h)).toMatchObject({ usable: false, reason: expect.stringMatching(/failed the accuracy gate/) });
  });
});
