/**
 * Per-row cache keys. A key is SHA-256 (truncated to 128 bits) over everything that decides a row's
 * answer: model, version, resolved variant, requested outputs, and for every input (sorted by name) its
 * name, dtype, non-batch shape and that row's bytes. Every field is length-prefixed (and counts are
 * written before lists), so no two different requests can frame to the same byte stream: e.g. moving a
 * byte from a name into the data, or from one output name into the next, changes the hashed stream.
 */
import { createHash, type Hash } from 'node:crypto';
import { rowBytes, type NamedTensors } from '../tensor/tensor.js';
import type { RowKeyContext } from './prediction-cache.js';

/** Changing the key layout must change every key; bump this tag when it does. */
const DOMAIN = 'hub-inference/row-key/v1';
/** Bytes of the digest kept in the key: 128 bits, collision-safe far beyond any cache's size. */
const KEY_DIGEST_BYTES = 16;

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

function field(h: Hash, s: string): void {
  const b = Buffer.from(s, 'utf8');
  h.update(u32(b.byteLength));
  h.update(b);
}

/**
 * One key per row of `inputs` (rows along dim 0). Keys read `<model>:<base64url digest>`: the model name is
 * only there so operators can scan or drop one model's entries; uniqueness comes from the digest, which
 * also covers the model name.
 */
export function computeRowKeys(ctx: RowKeyContext, inputs: NamedTensors, rows: number): string[] {
  const base = createHash('sha256');
  field(base, DOMAIN);
  field(base, ctx.model);
  field(base, ctx.version);
  field(base, ctx.variant);
  base.update(u32(ctx.outputs.length));
  for (const o of ctx.outputs) field(base, o);
  const names = Object.keys(inputs).sort();
  base.update(u32(names.length));
  const perRow: { data: Uint8Array; bytes: number }[] = [];
  for (const name of names) {
    const t = inputs[name]!;
    field(base, name);
    field(base, t.dtype);
    const dims = t.shape.slice(1);
    base.update(u32(dims.length));
    for (const d of dims) base.update(u32(d));
    const bytes = rowBytes(t.dtype, t.shape);
    if (t.data.byteLength < bytes * rows) throw new Error(`input "${name}" has ${t.data.byteLength} bytes, fewer than ${rows} rows of ${bytes}`);
    perRow.push({ data: t.data, bytes });
  }
  const keys = new Array<string>(rows);
  const prefix = `${ctx.model}:`;
  for (let r = 0; r < rows; r++) {
    // The context is hashed once; each row continues from a copy of that state.
    const h = base.copy();
    for (const p of perRow) {
      h.update(u32(p.bytes));
      h.update(p.data.subarray(r * p.bytes, (r + 1) * p.bytes));
    }
    keys[r] = prefix + h.digest().subarray(0, KEY_DIGEST_BYTES).toString('base64url');
  }
  return keys;
}
