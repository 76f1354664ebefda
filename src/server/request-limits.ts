/**
 * Limits at the server boundary, before a client's bytes go any further: the largest message the server
 * accepts (sized from the models it serves, not a flat 64 MB), and the longest name or id a client may send
 * (every message that quotes a client string stays short, and nothing huge reaches a log line).
 */
import { InferenceError } from '../errors/index.js';
import type { ModelConfig } from '../repository/model-config.js';

/** Longest model name, version, input or output name a request may carry. */
export const MAX_NAME_CHARS = 256;
/** Longest request id (it is logged and echoed). */
export const MAX_REQUEST_ID_CHARS = 128;
/** Receive limit when a model has a dynamic non-batch dim (its largest valid request has no fixed size). */
export const DYNAMIC_MODEL_RECEIVE_BYTES = 16 * 1024 * 1024;
/** The receive limit never goes below this (metadata and admin calls are tiny; some room for headers). */
export const MIN_RECEIVE_BYTES = 1024 * 1024;

/**
 * Wire bytes of one element in the worst case: raw little-endian, or a typed repeated field (int64 and int32
 * varints take up to 10 bytes each; floats 4).
 */
const WIRE_BYTES: Readonly<Record<string, number>> = { float32: 4, float16: 2, int64: 10, int32: 10, uint8: 10, bool: 1 };

/**
 * The receive limit for a set of models: twice the largest valid request (maxBatchSize rows of every input, at
 * the worst-case wire size) plus 64 KiB, at least MIN_RECEIVE_BYTES.
 */
export function receiveLimitFor(configs: readonly ModelConfig[]): number {
  let largest = 0;
  for (const cfg of configs) {
    let bytes = 0;
    for (const input of cfg.inputs) {
      if (input.shape.slice(1).some((d) => d < 0)) return Math.max(DYNAMIC_MODEL_RECEIVE_BYTES, largest);
      const perRow = input.shape.slice(1).reduce((a, d) => a * d, 1);
      bytes += cfg.maxBatchSize * perRow * (WIRE_BYTES[input.dtype] ?? 10) + 64 + input.name.length;
    }
    largest = Math.max(largest, bytes);
  }
  return Math.max(MIN_RECEIVE_BYTES, 2 * largest + 64 * 1024);
}

/**
 * Most dims a tensor shape may have. ONNX models in practice use a handful; without a bound a 100,000-dim shape
 * made an error message (which quotes the shape) too big to send as a status, and hung that client's call.
 */
export const MAX_TENSOR_DIMS = 16;

/** Longest status message sent to a client; longer ones are cut (they quote client input). */
export const MAX_STATUS_CHARS = 2048;

/** What is wrong with a client's tensor shape (dims count, negative or non-integer dims), or undefined. */
export function shapeProblem(shape: readonly number[]): string | undefined {
  if (shape.length === 0) return 'shape is empty; give [rows, ...] with rows along dim 0';
  if (shape.length > MAX_TENSOR_DIMS) return `shape has ${shape.length} dims; at most ${MAX_TENSOR_DIMS} are accepted`;
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) return `shape [${shape.join(',')}] has a negative or invalid dim`;
  return undefined;
}

/** Refuses a client string over `max` characters, quoting only how long it was. */
export function checkClientString(field: string, value: string, max = MAX_NAME_CHARS): void {
  if (value.length > max) {
    throw new InferenceError('INVALID_REQUEST', `${field} is ${value.length} characters; at most ${max} are accepted`);
  }
}
