import { describe, expect, it } from 'vitest';
import { decodeOutput, encodeInput } from '../../../src/client/tensor-encoding.js';

const empty = { floatData: [], int64Data: [], int32Data: [], boolData: [] };

describe('client tensor encoding', () => {
  it('treats a bare typed array as one row and sends its bytes without copying', () => {
    const a = new Float32Array([1, 2, 3]);
    const t = encodeInput('x', a);
    expect(t).toMatchObject({ name: 'x', dtype: 'DATA_TYPE_FLOAT32', shape: [1, 3] });
    expect(t.raw.buffer).toBe(a.buffer);
    expect(Array.from(t.raw)).toEqual(Array.from(new Uint8Array(a.buffer)));
  });

  it('infers dtype from the array type and honours a compatible explicit dtype', () => {
    expect(encodeInput('a', { data: new BigInt64Array(2), shape: [2] }).dtype).toBe('DATA_TYPE_INT64');
    expect(encodeInput('a', { data: new Int32Array(2), shape: [2] }).dtype).toBe('DATA_TYPE_INT32');
    expect(encodeInput('a', { data: new Uint8Array(2), shape: [2] }).dtype).toBe('DATA_TYPE_UINT8');
    expect(encodeInput('a', { data: new Uint8Array(2), shape: [2], dtype: 'bool' }).dtype).toBe('DATA_TYPE_BOOL');
    expect(encodeInput('a', { data: new Uint16Array(2), shape: [2] }).dtype).toBe('DATA_TYPE_FLOAT16');
    expect(encodeInput('a', { data: [1, 2], shape: [2], dtype: 'int64' }).raw).toEqual(Buffer.from(new BigInt64Array([1n, 2n]).buffer));
  });

  it('rejects mismatched shapes, dtypes and unsafe int64 numbers, naming the input', () => {
    expect(() => encodeInput('ids', { data: new Int32Array(3), shape: [2, 2] })).toThrow(/input "ids".*needs 4 values/);
    expect(() => encodeInput('ids', { data: new Int32Array(2), shape: [2], dtype: 'float32' })).toThrow(/Float32Array/);
    expect(() => encodeInput('ids', { data: [2 ** 60], shape: [1], dtype: 'int64' })).toThrow(/safe integer/);
    expect(() => encodeInput('ids', { data: new Float32Array(2), shape: [-1, 2] })).toThrow(/non-negative/);
  });

  it('decodes raw bytes at an unaligned offset into an aligned copy', () => {
    const backing = Buffer.alloc(1 + 8);
    Buffer.from(new Float32Array([1.5, -2]).buffer).copy(backing, 1);
    const raw = backing.subarray(1);
    const out = decodeOutput({ name: 'y', dtype: 'DATA_TYPE_FLOAT32', shape: ['1', '2'], raw, ...empty });
    expect(out).toEqual({ dtype: 'float32', shape: [1, 2], data: new Float32Array([1.5, -2]) });
    expect(out.data.buffer).not.toBe(backing.buffer);
  });

  it('decodes empty tensors and typed int64 strings exactly', () => {
    expect(decodeOutput({ name: 'y', dtype: 'DATA_TYPE_FLOAT32', shape: ['0', '8'], raw: Buffer.alloc(0), ...empty }).data).toEqual(new Float32Array(0));
    const out = decodeOutput({ name: 'y', dtype: 'DATA_TYPE_INT64', shape: ['2'], raw: Buffer.alloc(0), ...empty, int64Data: ['9007199254740993', '-1'] });
    expect(out.data).toEqual(BigInt64Array.from([9007199254740993n, -1n]));
  });

  it('reports a raw length that does not match the shape', () => {
    expect(() => decodeOutput({ name: 'y', dtype: 'DATA_TYPE_INT32', shape: ['3'], raw: Buffer.alloc(8), ...empty })).toThrow(/output "y".*needs 12/);
  });
});
