import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CorruptValueError, Encoding, ENVELOPE_HEADER_BYTES, NO_COMPRESSION, openValue, sealValue } from '../../../src/cache/value-envelope.js';

const policy = { thresholdBytes: 256, minSavingRatio: 0.1 };

function randomFloat32Row(n: number): Uint8Array {
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) f[i] = Math.random() * 2 - 1;
  return new Uint8Array(f.buffer);
}

describe('value envelope', () => {
  it('keeps random float32 outputs raw: LZ4 would not save the required margin', () => {
    const payload = randomFloat32Row(1024);
    const sealed = sealValue(payload, policy);
    expect(sealed.encoding).toBe(Encoding.raw);
    expect(sealed.bytes[3]).toBe(Encoding.raw);
    expect(sealed.bytes.byteLength).toBe(payload.byteLength + ENVELOPE_HEADER_BYTES);
    expect(sealed.savedBytes).toBe(0);
    expect(Buffer.from(openValue(sealed.bytes, 1 << 20)).equals(Buffer.from(payload))).toBe(true);
  });

  it('compresses repetitive payloads above the threshold and marks them lz4', () => {
    const payload = new Uint8Array(new Float32Array(1024).fill(0.5).buffer);
    const sealed = sealValue(payload, policy);
    expect(sealed.encoding).toBe(Encoding.lz4);
    expect(sealed.bytes[3]).toBe(Encoding.lz4);
    expect(sealed.savedBytes).toBeGreaterThan(payload.byteLength / 2);
    expect(sealed.bytes.byteLength).toBe(payload.byteLength - sealed.savedBytes + ENVELOPE_HEADER_BYTES);
    expect(Buffer.from(openValue(sealed.bytes, 1 << 20)).equals(Buffer.from(payload))).toBe(true);
  });

  it('never compresses below the threshold, however repetitive', () => {
    const sealed = sealValue(new Uint8Array(255), policy);
    expect(sealed.encoding).toBe(Encoding.raw);
  });

  it('keeps the raw form when compression saves less than the minimum ratio', () => {
    // Half zeros, half random: LZ4 saves a bit under 50%, so a 60% requirement keeps it raw.
    const payload = Buffer.concat([Buffer.alloc(2048), randomBytes(2048)]);
    expect(sealValue(payload, { thresholdBytes: 0, minSavingRatio: 0.6 }).encoding).toBe(Encoding.raw);
    expect(sealValue(payload, { thresholdBytes: 0, minSavingRatio: 0.3 }).encoding).toBe(Encoding.lz4);
  });

  it('never compresses under NO_COMPRESSION', () => {
    expect(sealValue(new Uint8Array(100_000), NO_COMPRESSION).encoding).toBe(Encoding.raw);
  });

  it('rejects values over the payload limit before decompressing them', () => {
    const sealed = sealValue(new Uint8Array(10_000), policy);
    expect(() => openValue(sealed.bytes, 9_999)).toThrow(CorruptValueError);
  });

  it('rejects a foreign value, a wrong magic, version or encoding, and every truncation', () => {
    const sealed = sealValue(new Uint8Array(4096).fill(3), policy).bytes;
    expect(() => openValue(Buffer.from('{"json":"value"}'), 1 << 20)).toThrow(CorruptValueError);
    for (const [i, v] of [[0, 0], [1, 0], [2, 1], [2, 3], [3, 9]] as const) { // [2, 1]: a version-1 value (no key tag)
      const bad = Uint8Array.from(sealed);
      bad[i] = v;
      expect(() => openValue(bad, 1 << 20)).toThrow(CorruptValueError);
    }
    for (let cut = 0; cut < sealed.byteLength; cut += 7) {
      expect(() => openValue(sealed.subarray(0, cut), 1 << 20)).toThrow(CorruptValueError);
    }
  });
});
