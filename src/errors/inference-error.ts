/**
 * The one error family of hub-inference. Every failure a caller can see has a stable `code`; each code
 * carries its gRPC status. `toGrpcStatus` in ./grpc-status.ts is the only place that maps errors to status.
 */
import { status } from '@grpc/grpc-js';

/** Stable error codes, their gRPC status and when they happen. Documented in README ("Errors"). */
export const ERROR_CODES = Object.freeze({
  MODEL_NOT_FOUND: { grpc: status.NOT_FOUND, doc: 'no model with that name in the repository' },
  VERSION_NOT_FOUND: { grpc: status.NOT_FOUND, doc: 'the model has no such version' },
  VARIANT_NOT_AVAILABLE: { grpc: status.NOT_FOUND, doc: 'the requested variant (e.g. INT8) does not exist or failed verification' },
  INVALID_INPUT: { grpc: status.INVALID_ARGUMENT, doc: 'an input tensor has the wrong name, dtype, shape or byte length' },
  INVALID_REQUEST: { grpc: status.INVALID_ARGUMENT, doc: 'the request itself is malformed (no model name, unknown output, too many rows)' },
  MODEL_NOT_READY: { grpc: status.UNAVAILABLE, doc: 'the model is loading, unloading or failed to load' },
  SHUTTING_DOWN: { grpc: status.UNAVAILABLE, doc: 'the server is draining and accepts no new work' },
  WORKER_CRASHED: { grpc: status.UNAVAILABLE, doc: 'the engine worker running the batch died; it has been replaced, retry' },
  QUEUE_FULL: { grpc: status.RESOURCE_EXHAUSTED, doc: 'the model queue holds maxQueueSize rows already' },
  OVERLOADED: { grpc: status.RESOURCE_EXHAUSTED, doc: 'refused at once: the rows queued ahead, at the drain rate measured on this host, would not be answered before the deadline' },
  DEADLINE_EXCEEDED: { grpc: status.DEADLINE_EXCEEDED, doc: 'the deadline passed while the request was queued; it never ran' },
  CANCELLED: { grpc: status.CANCELLED, doc: 'the caller cancelled; the request was dropped from the queue' },
  UNAUTHENTICATED: { grpc: status.UNAUTHENTICATED, doc: 'an admin RPC was called without a valid token' },
  ENGINE_FAILURE: { grpc: status.INTERNAL, doc: 'ONNX Runtime failed to run the batch' },
  INTERNAL: { grpc: status.INTERNAL, doc: 'an unexpected server error (details are in the server log)' },
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
