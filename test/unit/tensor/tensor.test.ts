import { describe, it, expect } from 'vitest';
import { concatRows, copyRows, gatherRows, sliceRows, type HostTensor } from '../../../src/tensor/tensor.js';

function f32(rows: number[][]): HostTensor {
  return { dtype: 'float32', shape: [rows.length, rows[0]!.length], data: new Uint8Array(Float32Array.from(rows.flat()).buffer) };
}
const values = (t: HostTensor): number[] => Array.from(new Float32Array(new Uint8Array(t.data).buffer));

describe('row gather and scatter', () => {
  const t = f32([[1, 2], [3, 4], [5, 6]]);

  it('sliceRows is a view and copyRows owns its bytes', () => {
    const view = sliceRows(t, 1, 2);
    const copy = copyRows(t, 1, 2);
    expect(values(view)).toEqual([3, 4, 5, 6]);
    expect(copy.shape).toEqual([2, 2]);
    expect(view.data.buffer).toBe(t.data.buffer);
    expect(copy.data.buffer).not.toBe(t.data.buffer);
    expect(copy.data.byteLength).toBe(copy.data.buffer.byteLength);
  });

  it('gatherRows picks rows in the order asked', () => {
    const g = gatherRows(t, [2, 0]);
    expect(g.shape).toEqual([2, 2]);
    expect(values(g)).toEqual([5, 6, 1, 2]);
  });

  it('concatRows undoes a split', () => {
    expect(values(concatRows([sliceRows(t, 0, 1), sliceRows(t, 1, 2)], true))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
