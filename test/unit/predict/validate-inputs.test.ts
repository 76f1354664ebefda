import { describe, it, expect } from 'vitest';
import { validateInputs } from '../../../src/predict/validate-inputs.js';
import { parseModelConfig } from '../../../src/repository/model-config.js';
import { isInferenceError } from '../../../src/errors/index.js';
import type { HostTensor } from '../../../src/tensor/tensor.js';

const floatModel = (allowNonFinite = false) => parseModelConfig({
  name: 'f', inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4], allowNonFinite }], outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }],
}, 'test');
const idModel = parseModelConfig({
  name: 'ids', inputs: [{ name: 'ids', dtype: 'int64', shape: [-1, 3] }, { name: 'k', dtype: 'int32', shape: [-1, 2], range: { min: -5, max: 5 } }],
  outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }],
}, 'test');

const f32 = (rows: number[][]): HostTensor => ({ dtype: 'float32', shape: [rows.length, rows[0]!.length], data: new Uint8Array(Float32Array.from(rows.flat()).buffer) });
const i64 = (rows: bigint[][], misalign = false): HostTensor => {
  const bytes = new Uint8Array(BigInt64Array.from(rows.flat()).buffer);
  // A view at an odd offset, as a gRPC Buffer slice can be.
  const data = misalign ? (() => { const b = new Uint8Array(bytes.byteLength + 1); b.set(bytes, 1); return b.subarray(1); })() : bytes;
  return { dtype: 'int64', shape: [rows.length, rows[0]!.length], data };
};
const i32 = (rows: number[][]): HostTensor => ({ dtype: 'int32', shape: [rows.length, rows[0]!.length], data: new Uint8Array(Int32Array.from(rows.flat()).buffer) });
const ranges = { ids: { min: 0, max: 99, source: 'the embedding table it indexes, 100 rows' }, k: { min: -5, max: 5, source: 'config.json' } };

function refusal(fn: () => unknown): string {
  try { fn(); } catch (e) { expect(isInferenceError(e, 'INVALID_INPUT')).toBe(true); return (e as Error).message; }
  throw new Error('expected INVALID_INPUT');
}

describe('value checks', () => {
  it.each([[Number.NaN, 'NaN'], [Number.POSITIVE_INFINITY, 'Infinity'], [Number.NEGATIVE_INFINITY, '-Infinity']])('refuses %s naming input, row and position', (v, shown) => {
    expect(refusal(() => validateInputs(floatModel(), { x: f32([[1, 2, 3, 4], [5, 6, v, 8]]) }))).toMatch(new RegExp(`^input "x" row 1 position 2 is ${shown}; non-finite values are refused`));
  });

  it('accepts NaN where the input opts in, and finite extremes everywhere', () => {
    expect(validateInputs(floatModel(true), { x: f32([[Number.NaN, 1, 2, 3]]) })).toBe(1);
    expect(validateInputs(floatModel(), { x: f32([[3.4e38, -3.4e38, 1e-45, 0]]) })).toBe(1);
  });

  it('refuses float16 NaN and +-Inf naming input, row and position, unless the input opts in', () => {
    const halfModel = (allowNonFinite: boolean) => parseModelConfig({
      name: 'h', inputs: [{ name: 'x', dtype: 'float16', shape: [-1, 2], allowNonFinite }], outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }],
    }, 'test');
    // Raw IEEE half bits: 0x3c00 = 1, 0x7bff = 65504 (largest finite), 0x7c00 = +Inf, 0xfc00 = -Inf, 0x7e00 = NaN.
    const f16 = (bits: number[]): HostTensor => ({ dtype: 'float16', shape: [bits.length / 2, 2], data: new Uint8Array(Uint16Array.from(bits).buffer) });
    for (const bad of [0x7c00, 0xfc00, 0x7e00]) {
      expect(refusal(() => validateInputs(halfModel(false), { x: f16([0x3c00, 0x7bff, 0x3c00, bad]) }))).toMatch(/^input "x" row 1 position 1 is not finite; non-finite values are refused/);
      expect(validateInputs(halfModel(true), { x: f16([0x3c00, bad]) })).toBe(1);
    }
    expect(validateInputs(halfModel(false), { x: f16([0x7bff, 0xfbff, 0x0001, 0x8000]) })).toBe(2);
  });

  it('refuses ids outside the range (too large, negative, beyond 32 bits), also from a misaligned buffer', () => {
    const ok = { k: i32([[0, 0]]) };
    expect(refusal(() => validateInputs(idModel, { ids: i64([[1n, 100n, 2n]]), ...ok }, ranges))).toBe('input "ids" row 0 position 1 has value 100, outside the valid range [0, 99] (from the embedding table it indexes, 100 rows)');
    expect(refusal(() => validateInputs(idModel, { ids: i64([[1n, 2n, 3n], [4n, 5n, -1n]]), k: i32([[0, 0], [0, 0]]) }, ranges))).toMatch(/row 1 position 2 has value -1,/);
    expect(refusal(() => validateInputs(idModel, { ids: i64([[2n ** 32n + 5n, 0n, 0n]], true), ...ok }, ranges))).toMatch(/position 0 has value 4294967301,/);
    expect(validateInputs(idModel, { ids: i64([[0n, 99n, 50n]], true), ...ok }, ranges)).toBe(1);
  });

  it('applies a config range with negative bounds to int32 inputs', () => {
    expect(refusal(() => validateInputs(idModel, { ids: i64([[0n, 0n, 0n]]), k: i32([[-6, 0]]) }, ranges))).toMatch(/input "k" row 0 position 0 has value -6, outside the valid range \[-5, 5\] \(from config.json\)/);
    expect(validateInputs(idModel, { ids: i64([[0n, 0n, 0n]]), k: i32([[-5, 5]]) }, ranges)).toBe(1);
  });

  it('rejects a config that puts a range on a float input or allowNonFinite on an integer one', () => {
    expect(() => parseModelConfig({ name: 'b', inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 1], range: { min: 0, max: 1 } }], outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }] }, 'bad.json')).toThrow(/field "inputs.0.range": range applies to integer inputs/);
    expect(() => parseModelConfig({ name: 'b', inputs: [{ name: 'x', dtype: 'int64', shape: [-1, 1], allowNonFinite: true }], outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 1] }] }, 'bad.json')).toThrow(/allowNonFinite applies to float inputs/);
  });
});
