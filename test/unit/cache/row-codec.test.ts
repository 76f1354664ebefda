import { describe, expect, it } from 'vitest';
import { decodeRow, encodeRow } from '../../../src/cache/row-codec.js';
import type { CachedRow } from '../../../src/cache/prediction-cache.js';
import { CorruptValueError } from '../../../src/cache/value-envelope.js';

const row: CachedRow = {
  logits: { dtype: 'float32', shape: [1, 8], data: new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8.5]).buffer) },
  ids: { dtype: 'int64', shape: [1, 2], data: new Uint8Array(BigInt64Array.from([1n, -2n]).buffer) },
  'naïve ✓': { dtype: 'bool', shape: [1], data: Uint8Array.of(1) },
  empty: { dtype: 'float16', shape: [1, 0], data: new Uint8Array(0) },
};

describe('row codec', () => {
  it('round-trips names, dtypes, shapes and bytes', () => {
    const back = decodeRow(encodeRow(row));
    expect(Object.keys(back).sort()).toEqual(Object.keys(row).sort());
    for (const [name, t] of Object.entries(row)) {
      expect(back[name]!.dtype).toBe(t.dtype);
      expect(back[name]!.shape).toEqual(t.shape);
      expect([...back[name]!.data]).toEqual([...t.data]);
    }
  });

  it('hands back aligned buffers of its own', () => {
    const bytes = encodeRow(row);
    const back = decodeRow(bytes);
    const logits = back['logits']!;
    expect(logits.data.byteOffset).toBe(0);
    expect(new Float32Array(logits.data.buffer)[7]).toBe(8.5);
    bytes.fill(0);
    expect(new Float32Array(logits.data.buffer)[7]).toBe(8.5);
  });

  it('encodes the same row identically whatever the key order', () => {
    const reversed = Object.fromEntries(Object.entries(row).reverse());
    expect(Buffer.from(encodeRow(reversed)).equals(Buffer.from(encodeRow(row)))).toBe(true);
  });

  it('refuses to encode a tensor whose bytes do not match its shape', () => {
    expect(() => encodeRow({ x: { dtype: 'float32', shape: [1, 2], data: new Uint8Array(4) } })).toThrow(/needs 8/);
  });

  it('rejects every truncation, trailing bytes, a bad version and zero tensors', () => {
    const bytes = encodeRow(row);
    for (let cut = 0; cut < bytes.byteLength; cut++) {
      expect(() => decodeRow(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(CorruptValueError);
    }
    expect(() => decodeRow(Buffer.concat([bytes, Buffer.of(0)]))).toThrow(CorruptValueError);
    const v = Uint8Array.from(bytes);
    v[0] = 2;
    expect(() => decodeRow(v)).toThrow(CorruptValueError);
    expect(() => decodeRow(Uint8Array.of(1, 0, 0))).toThrow(CorruptValueError);
  });

  it('rejects a shape that disagrees with the data length, a batch dim other than 1 and an unknown dtype', () => {
    const one: CachedRow = { y: { dtype: 'float32', shape: [1, 2], data: new Uint8Array(8) } };
    const bytes = encodeRow(one);
    // layout: ver(1) count(2) nameLen(2) 'y'(1) dtype(1) rank(1) dims(4x2) dataLen(4) data(8)
    const dtypeAt = 6;
    const dim0At = 8;
    const dim1At = 12;
    const mutate = (at: number, value: number): Uint8Array => { const b = Uint8Array.from(bytes); b[at] = value; return b; };
    expect(() => decodeRow(mutate(dtypeAt, 200))).toThrow(/dtype/);
    expect(() => decodeRow(mutate(dim0At, 2))).toThrow(/rows/);
    expect(() => decodeRow(mutate(dim1At, 3))).toThrow(CorruptValueError);
    expect(() => decodeRow(mutate(dtypeAt, 2))).toThrow(CorruptValueError); // int64 needs 16 bytes
  });

  it('rejects a duplicated tensor name', () => {
    const a = encodeRow({ z: { dtype: 'uint8', shape: [1], data: Uint8Array.of(5) } });
    // Two copies of the same tensor body behind a count of 2.
    const body = a.subarray(3);
    const dup = Buffer.concat([Buffer.of(1, 2, 0), body, body]);
    expect(() => decodeRow(dup)).toThrow(/twice/);
  });
});
