/**
 * The envelope every stored cache value travels in: a magic, a format version and an encoding byte, then
 * the payload (raw, or LZ4 when that pays). The magic/version let a reader reject values written by
 * anything else (another app sharing the Redis prefix, a future format) instead of misreading them.
 *
 * Layout (little-endian):
 *   0..1  magic 0x48 0x43 ('HC')
 *   2     format version (2: L2 payloads carry a key tag, see value-binding.ts; version 1 values are misses)
 *   3     encoding: 0 raw, 1 lz4 block
 *   4..7  payload length before compression (u32)
 *   8..   raw payload, or the lz4-napi block (which itself starts with the same u32 length)
 * Float32 model outputs do not compress (DESIGN.md: ratio ~1.0), so LZ4 is tried only above a size
 * threshold and kept only when it saves at least the configured fraction.
 */
import { compressSync, uncompressSync } from 'lz4-napi';

const MAGIC_0 = 0x48;
const MAGIC_1 = 0x43;
/** Format version written into every envelope; readers reject other versions. */
export const ENVELOPE_VERSION = 2;
/** Bytes before the payload. */
export const ENVELOPE_HEADER_BYTES = 8;

/** How the payload is stored. */
export const Encoding = Object.freeze({ raw: 0, lz4: 1 } as const);
/** An encoding byte value. */
export type EncodingByte = (typeof Encoding)[keyof typeof Encoding];

/** When to try LZ4. */
export interface CompressionPolicy {
  /** Payloads shorter than this are never compressed (Infinity disables compression). */
  readonly thresholdBytes: number;
  /** Keep LZ4 only when it saves at least this fraction of the payload (0..1). */
  readonly minSavingRatio: number;
}

/** Never compress (the in-process tier: memory is cheaper than CPU on every hit). */
export const NO_COMPRESSION: CompressionPolicy = Object.freeze({ thresholdBytes: Infinity, minSavingRatio: 0 });

/** An encoded envelope plus what compression saved (for metrics). */
export interface SealedValue {
  readonly bytes: Uint8Array;
  readonly encoding: EncodingByte;
  /** Payload bytes minus stored payload bytes (0 when raw). */
  readonly savedBytes: number;
}

/** Wraps a payload, compressing it when the policy says it pays. */
export function sealValue(payload: Uint8Array, policy: CompressionPolicy): SealedValue {
  let body: Uint8Array = payload;
  let encoding: EncodingByte = Encoding.raw;
  if (payload.byteLength >= policy.thresholdBytes && payload.byteLength > 0) {
    const packed = compressSync(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    if (packed.byteLength <= payload.byteLength * (1 - policy.minSavingRatio) && packed.byteLength < payload.byteLength) {
      body = packed;
      encoding = Encoding.lz4;
    }
  }
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + body.byteLength);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = ENVELOPE_VERSION;
  out[3] = encoding;
  new DataView(out.buffer).setUint32(4, payload.byteLength, true);
  out.set(body, ENVELOPE_HEADER_BYTES);
  return { bytes: out, encoding, savedBytes: payload.byteLength - body.byteLength };
}

/** Why a stored value could not be opened. */
export class CorruptValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptValueError';
  }
}

/**
 * Opens an envelope and returns the payload (a view into `bytes` when raw). Throws CorruptValueError for
 * anything that is not a well-formed envelope of this version, including a claimed length above
 * `maxPayloadBytes` (checked before decompressing so a foreign value cannot make us allocate gigabytes).
 */
export function openValue(bytes: Uint8Array, maxPayloadBytes: number): Uint8Array {
  if (bytes.byteLength < ENVELOPE_HEADER_BYTES) throw new CorruptValueError(`value of ${bytes.byteLength} bytes is shorter than the envelope header`);
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) throw new CorruptValueError('value does not start with the cache envelope magic');
  if (bytes[2] !== ENVELOPE_VERSION) throw new CorruptValueError(`envelope version ${bytes[2]} is not ${ENVELOPE_VERSION}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(4, true);
  if (length > maxPayloadBytes) throw new CorruptValueError(`envelope claims ${length} payload bytes, over the ${maxPayloadBytes}-byte limit`);
  const body = bytes.subarray(ENVELOPE_HEADER_BYTES);
  switch (bytes[3]) {
    case Encoding.raw:
      if (body.byteLength !== length) throw new CorruptValueError(`raw payload has ${body.byteLength} bytes, header says ${length}`);
      return body;
    case Encoding.lz4: {
      // lz4-napi's block starts with its own u32 size: it must agree with ours before we let it allocate.
      if (body.byteLength < 4 || view.getUint32(ENVELOPE_HEADER_BYTES, true) !== length) {
        throw new CorruptValueError('lz4 block size does not match the envelope length');
      }
      let out: Buffer;
      try {
        out = uncompressSync(body);
      } catch (e) {
        throw new CorruptValueError(`lz4 block does not decompress: ${(e as Error).message}`);
      }
      if (out.byteLength !== length) throw new CorruptValueError(`lz4 block decompressed to ${out.byteLength} bytes, header says ${length}`);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    }
    default:
      throw new CorruptValueError(`unknown encoding byte ${bytes[3]}`);
  }
}
