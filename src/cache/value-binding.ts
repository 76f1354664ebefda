/**
 * Binds a stored row to the key it was stored under, so nothing read back from Redis is trusted (DESIGN):
 * the L2 payload is `tag || row bytes` where the tag is HMAC-SHA256(secret, key || row) when the service has a
 * cache secret (HUB_CACHE_SECRET: a writer to Redis without it cannot forge an answer), else SHA-256 over the
 * same bytes (a value copied from another key, another model, or damaged in place no longer verifies).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CorruptValueError } from './value-envelope.js';

/** Bytes of the tag kept in front of every L2 payload (128 bits). */
export const TAG_BYTES = 16;

/** Seals and opens payloads for one key space. */
export class ValueBinding {
  readonly #secret: Buffer | undefined;

  /** `secret` undefined: keyless digest (binds the key, cannot stop a deliberate forger). */
  constructor(secret: string | undefined) {
    this.#secret = secret ? Buffer.from(secret, 'utf8') : undefined;
  }

  /** Whether tags are keyed (a secret is configured). */
  get keyed(): boolean {
    return this.#secret !== undefined;
  }

  #tag(key: string, row: Uint8Array): Buffer {
    const h = this.#secret ? createHmac('sha256', this.#secret) : createHash('sha256');
    const k = Buffer.from(key, 'utf8');
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32LE(k.byteLength, 0);
    h.update(len).update(k).update(row);
    return h.digest().subarray(0, TAG_BYTES);
  }

  /** `tag || row`. */
  seal(key: string, row: Uint8Array): Uint8Array {
    const out = new Uint8Array(TAG_BYTES + row.byteLength);
    out.set(this.#tag(key, row), 0);
    out.set(row, TAG_BYTES);
    return out;
  }

  /** The row bytes of a sealed payload read under `key`; CorruptValueError when the tag does not verify. */
  open(key: string, sealed: Uint8Array): Uint8Array {
    if (sealed.byteLength < TAG_BYTES) throw new CorruptValueError('value is shorter than its key tag');
    const row = sealed.subarray(TAG_BYTES);
    const expected = this.#tag(key, row);
    if (!timingSafeEqual(expected, Buffer.from(sealed.buffer, sealed.byteOffset, TAG_BYTES))) {
      throw new CorruptValueError(this.#secret ? 'value does not carry this key\'s MAC (forged, from another key, or written without the cache secret)' : 'value is not bound to this key (copied from another key or damaged)');
    }
    return row;
  }
}
