import { describe, expect, it } from 'vitest';
import { computeRowKeys } from '../../../src/cache/row-key.js';
import type { RowKeyContext } from '../../../src/cache/prediction-cache.js';
import type { HostTensor, NamedTensors } from '../../../src/tensor/tensor.js';

const ctx: RowKeyContext = { model: 'lead-scoring', version: '1', variant: 'fp32', outputs: ['probability'] };

function f32(rows: number[][]): HostTensor {
  const cols = rows[0]!.length;
  return { dtype: 'float32', shape: [rows.length, cols], data: new Uint8Array(Float32Array.from(rows.flat()).buffer) };
}

const one = (inputs: NamedTensors, c: RowKeyContext = ctx): string => computeRowKeys(c, inputs, 1)[0]!;

describe('row keys', () => {
  const base = { features: f32([[1, 2, 3, 4]]) };

  it('gives the same input the same key, across calls and independent of input order', () => {
    const a = { a: f32([[1, 2]]), b: f32([[3, 4]]) };
    const b = { b: f32([[3, 4]]), a: f32([[1, 2]]) };
    expect(one(a)).toBe(one(a));
    expect(one(a)).toBe(one(b));
    expect(one(base)).toMatch(/^lead-scoring:[A-Za-z0-9_-]{22}$/);
  });

  it('gives each row of a batch its own key, equal to that row sent alone', () => {
    const batch = computeRowKeys(ctx, { features: f32([[1, 2, 3, 4], [5, 6, 7, 8], [1, 2, 3, 4]]) }, 3);
    expect(batch[0]).toBe(one(base));
    expect(batch[2]).toBe(batch[0]);
    expect(batch[1]).not.toBe(batch[0]);
    expect(batch[1]).toBe(one({ features: f32([[5, 6, 7, 8]]) }));
  });

  it('changes the key for a different model, version, variant or requested outputs', () => {
    const k = one(base);
    expect(one(base, { ...ctx, model: 'property-valuation' })).not.toBe(k);
    expect(one(base, { ...ctx, version: '2' })).not.toBe(k);
    expect(one(base, { ...ctx, variant: 'int8' })).not.toBe(k);
    expect(one(base, { ...ctx, outputs: [] })).not.toBe(k);
    expect(one(base, { ...ctx, outputs: ['probability', 'logit'] })).not.toBe(k);
  });

  it('changes the key for a different input name, dtype or non-batch shape over the same bytes', () => {
    const k = one(base);
    const t = base.features;
    expect(one({ features2: t })).not.toBe(k);
    expect(one({ features: { ...t, dtype: 'int32' } })).not.toBe(k);
    expect(one({ features: { ...t, shape: [1, 2, 2] } })).not.toBe(k);
    expect(one({ features: { ...t, shape: [1, 1, 4] } })).not.toBe(k);
  });

  it('changes the key when a single bit of the row changes', () => {
    const flipped = Uint8Array.from(base.features.data);
    flipped[5]! ^= 1;
    expect(one({ features: { ...base.features, data: flipped } })).not.toBe(one(base));
  });

  it('cannot be aliased by shifting bytes between adjacent fields', () => {
    // Outputs ['ab','c'] vs ['a','bc']; model 'a' + version 'b1' vs model 'ab' + version '1'.
    expect(one(base, { ...ctx, outputs: ['ab', 'c'] })).not.toBe(one(base, { ...ctx, outputs: ['a', 'bc'] }));
    const m1 = computeRowKeys({ ...ctx, model: 'a', version: 'b1' }, base, 1)[0]!.split(':')[1];
    const m2 = computeRowKeys({ ...ctx, model: 'ab', version: '1' }, base, 1)[0]!.split(':')[1];
    expect(m1).not.toBe(m2);
    // Two inputs whose bytes could be re-split: x=[1,2],y=[3] vs x=[1],y=[2,3].
    const u8 = (v: number[]): HostTensor => ({ dtype: 'uint8', shape: [1, v.length], data: Uint8Array.from(v) });
    expect(one({ x: u8([1, 2]), y: u8([3]) })).not.toBe(one({ x: u8([1]), y: u8([2, 3]) }));
    // An input name that looks like another input's framing.
    expect(one({ xy: u8([1]) })).not.toBe(one({ x: u8([1]), y: u8([]) }));
  });

  it('keys many distinct rows without a collision', () => {
    const n = 20_000;
    const data = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) { data[2 * i] = i; data[2 * i + 1] = -i; }
    const keys = computeRowKeys(ctx, { features: { dtype: 'float32', shape: [n, 2], data: new Uint8Array(data.buffer) } }, n);
    expect(new Set(keys).size).toBe(n);
  });
});
