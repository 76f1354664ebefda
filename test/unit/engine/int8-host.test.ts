import { describe, expect, it } from 'vitest';
import { int8Host, weightLimit, weightRangeFor } from '../../../src/engine/int8-host.js';

const cpuinfo = (flags: string): string => `processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: ${flags}\nbogomips\t: 4792.80\n`;

describe('int8Host: can full-range int8 weights saturate on this CPU', () => {
  it('AVX2 without VNNI saturates (vpmaddubsw adds u8 x s8 pairs into 16 bits)', () => {
    const h = int8Host('x64', cpuinfo('fpu sse2 avx avx2 fma bmi2'));
    expect(h).toMatchObject({ vnni: false, saturates: true });
    expect(h.describe).toMatch(/AVX2 without VNNI/);
    expect(weightRangeFor(h)).toBe('reduced');
  });

  it('AVX-512 without VNNI saturates too', () => {
    expect(int8Host('x64', cpuinfo('avx2 avx512f avx512bw avx512vl'))).toMatchObject({ vnni: false, saturates: true });
  });

  for (const flag of ['avx512_vnni', 'avx_vnni', 'amx_int8']) {
    it(`${flag} accumulates in 32 bits: full range`, () => {
      const h = int8Host('x64', cpuinfo(`avx2 avx512f avx512bw ${flag}`));
      expect(h).toMatchObject({ vnni: true, saturates: false });
      expect(weightRangeFor(h)).toBe('full');
    });
  }

  it('does not take a flag that only contains the name (avx512_vnni_x is not avx512_vnni)', () => {
    expect(int8Host('x64', cpuinfo('avx2 avx512_vnni_x'))).toMatchObject({ saturates: true });
  });

  it('an x86-64 host without a flags line counts as saturating (the safe side)', () => {
    expect(int8Host('x64', 'processor\t: 0\n')).toMatchObject({ vnni: false, saturates: true });
  });

  it('ARM accumulates int8 dot products in 32 bits', () => {
    expect(int8Host('arm64', '')).toMatchObject({ saturates: false });
  });

  it('the limits: 127 for the full range, 63 for the reduced one (255 x 63 x 2 fits in 16 bits)', () => {
    expect(weightLimit('full')).toBe(127);
    expect(weightLimit('reduced')).toBe(63);
    expect(255 * weightLimit('reduced') * 2).toBeLessThanOrEqual(32767);
    expect(255 * weightLimit('full') * 2).toBeGreaterThan(32767);
  });
});
