import { describe, it, expect } from 'vitest';
import { decodeTensor, encodeTensor } from '../../../src/server/tensor-codec.js';
import type { TensorMessage } from '../../../src/proto/enums.js';
import { isInferenceError } from '../../../src/errors/index.js';

const msg = (over: Partial<TensorMessage>): TensorMessage => ({
  name: 'x', dtype: 'DATA_TYPE_FLOAT32', shape: ['2', '2'], raw: Buffer.alloc(0), floatData: [], int64Data: [], int32Data: [], boolData: [], ...over,
});

describe('tensor codec', () => {
  it('copies raw bytes once when they are not aligned for the element type', () => {
    const backing = Buffer.alloc(17);
    const raw = backing.subarray(1);
    raw.set(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer));
    const t = decodeTensor(msg({ raw }));
    expect(t.data.buffer).not.toBe(backing.buffer);
    expect(t.data.byteOffset % 4).toBe(0);
    expect(Array.from(new Float32Array(t.data.buffer, t.data.byteOffset, 4))).toEqual([1, 2, 3, 4]);
  });

  it('decodes raw bytes without copying them', () => {
    const raw = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
    const t = decodeTensor(msg({ raw }));
    expect(t.shape).toEqual([2, 2]);
    expect(t.data.buffer).toBe(raw.buffer);
  });

  it('decodes every typed field to little-endian bytes', () => {
    expect(Array.from(new Float32Array(new Uint8Array(decodeTensor(msg({ floatData: [1, 2, 3, 4] })).data).buffer))).toEqual([1, 2, 3, 4]);
    const i64 = decodeTensor(msg({ dtype: 'DATA_TYPE_INT64', int64Data: ['9007199254740993', '-1', '2', '3'] }));
    expect(Array.from(new BigInt64Array(new Uint8Array(i64.data).buffer))).toEqual([9007199254740993n, -1n, 2n, 3n]);
    expect(Array.from(decodeTensor(msg({ dtype: 'DATA_TYPE_UINT8', int32Data: [0, 1, 254, 255] })).data)).toEqual([0, 1, 254, 255]);
    expect(Array.from(decodeTensor(msg({ dtype: 'DATA_TYPE_BOOL', boolData: [true, false, true, true] })).data)).toEqual([1, 0, 1, 1]);
    expect(Array.from(new Int32Array(new Uint8Array(decodeTensor(msg({ dtype: 'DATA_TYPE_INT32', int32Data: [-5, 6, 7, 8] })).data).buffer))).toEqual([-5, 6, 7, 8]);
  });

  it.each([
    ['raw length mismatch', msg({ raw: Buffer.alloc(15) }), /raw has 15 bytes but float32 \[2,2\] needs 16/],
    ['raw and typed together', msg({ raw: Buffer.alloc(16), floatData: [1, 2, 3, 4] }), /either raw or one typed field/],
    ['two typed fields', msg({ floatData: [1, 2, 3, 4], int32Data: [1, 2, 3, 4] }), /exactly one typed field/],
    ['typed count mismatch', msg({ floatData: [1, 2, 3] }), /float_data has 3 values but float32 \[2,2\] needs 4/],
    ['negative dim', msg({ shape: ['-1', '2'] }), /negative or invalid dim/],
    ['no shape', msg({ shape: [] }), /shape is empty/],
    ['unspecified dtype', msg({ dtype: 'DATA_TYPE_UNSPECIFIED' }), /not supported/],
    ['uint8 out of range', msg({ dtype: 'DATA_TYPE_UINT8', int32Data: [0, 1, 2, 300] }), /0\.\.255/],
    ['float16 as typed', msg({ dtype: 'DATA_TYPE_FLOAT16', int32Data: [1, 2, 3, 4] }), /float16 tensors travel only as raw/],
    ['absurd shape', msg({ shape: ['100000', '100000', '100'] }), /over the .*-byte limit/],
  ])('rejects %s with INVALID_INPUT naming the tensor', (_what, m, re) => {
    let err: unknown;
    try { decodeTensor(m); } catch (e) { err = e; }
    expect(isInferenceError(err, 'INVALID_INPUT')).toBe(true);
    expect((err as Error).message).toMatch(/input "x"/);
    expect((err as Error).message).toMatch(re);
  });

  it('encodes raw by default and typed fields on request', () => {
    const t = { dtype: 'float32' as const, shape: [1, 2], data: new Uint8Array(new Float32Array([0.5, -1]).buffer) };
    expect(encodeTensor('y', t, false).raw?.length).toBe(8);
    expect(encodeTensor('y', t, true).floatData).toEqual([0.5, -1]);
    const i = { dtype: 'int64' as const, shape: [1], data: new Uint8Array(new BigInt64Array([5n]).buffer) };
    expect(encodeTensor('z', i, true).int64Data).toEqual(['5']);
  });

  it('names a typed field that does not match the dtype', () => {
    expect(() => decodeTensor(msg({ dtype: 'DATA_TYPE_FLOAT32', shape: ['1', '2'], int64Data: ['1', '2'] }))).toThrow('input "x": dtype DATA_TYPE_FLOAT32 takes float_data, but int64_data was set');
    expect(() => decodeTensor(msg({ dtype: 'DATA_TYPE_FLOAT16', shape: ['1', '1'], floatData: [1] }))).toThrow('float16 tensors travel only as raw little-endian bytes, but float_data was set');
  });
});
