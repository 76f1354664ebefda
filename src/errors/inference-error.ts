/**
 * The one error family of hub-inference. Every failure a caller can see has a stable `code` and a meaning.
 * This room knows no transport: the gRPC status of each code lives beside the server
 * (src/server/grpc-status.ts, the only place that maps errors to a status), so the engine, batcher and cache,
 * which throw these errors, do not depend on gRPC.
 */

/** Stable error codes and when they happen. Documented in README ("Errors"). */
export const ERROR_CODES = Object.freeze({
  MODEL_NOT_FOUND: { doc: 'no model with that name in the repository' },
  VERSION_NOT_FOUND: { doc: 'the model has no such version' },
  VARIANT_NOT_AVAILABLE: { doc: 'the requested variant (e.g. INT8) does not exist or failed verification' },
  INVALID_INPUT: { doc: 'an input tensor has the wrong name, dtype, shape or byte length' },
  INVALID_REQUEST: { doc: 'the request itself is malformed (no model name, unknown output, too many rows)' },
  MODEL_NOT_READY: { doc: 'the model is loading, unloading or failed to load' },
  SHUTTING_DOWN: { doc: 'the server is draining and accepts no new work' },
  WORKER_CRASHED: { doc: 'the engine worker running the batch died; it has been replaced, retry' },
  QUEUE_FULL: { doc: 'the model queue holds maxQueueSize rows already' },
  OVERLOADED: { doc: 'refused at once: the rows queued ahead, at the drain rate measured on this host, would not be answered before the deadline' },
  DEADLINE_EXCEEDED: { doc: 'the deadline passed while the request was queued; it never ran' },
  CANCELLED: { doc: 'the caller cancelled; the request was dropped from the queue' },
  ADMIN_DISABLED: { doc: 'admin RPCs are off: no admin token is set and the server listens beyond loopback' },
  UNAUTHENTICATED: { doc: 'an admin RPC was called without a valid token' },
  ENGINE_FAILURE: { doc: 'ONNX Runtime failed to run the batch' },
  INTERNAL: { doc: 'an unexpected server error (details are in the server log)' },
} as const);

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error a caller may see, with a stable code and an actionable message. */
export class InferenceError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InferenceError';
    this.code = code;
    this.details = details;
  }
}

/** True when `e` is an InferenceError with this code. */
export function isInferenceError(e: unknown, code?: ErrorCode): e is InferenceError {
  return e instanceof InferenceError && (code === undefined || e.code === code);
}
