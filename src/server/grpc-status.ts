/**
 * The single mapping from any thrown value to a gRPC status: the status table of the error codes (DESIGN
 * "Errors") and toGrpcStatus. Beside the server, the only room that knows gRPC.
 */
import { status, Metadata, type ServiceError } from '@grpc/grpc-js';
import { MAX_STATUS_CHARS } from './request-limits.js';
import { InferenceError, type ErrorCode } from '../errors/index.js';

/** The gRPC status of every error code. */
export const GRPC_STATUS_OF: Readonly<Record<ErrorCode, status>> = Object.freeze({
  MODEL_NOT_FOUND: status.NOT_FOUND,
  VERSION_NOT_FOUND: status.NOT_FOUND,
  VARIANT_NOT_AVAILABLE: status.NOT_FOUND,
  INVALID_INPUT: status.INVALID_ARGUMENT,
  INVALID_REQUEST: status.INVALID_ARGUMENT,
  MODEL_NOT_READY: status.UNAVAILABLE,
  SHUTTING_DOWN: status.UNAVAILABLE,
  WORKER_CRASHED: status.UNAVAILABLE,
  QUEUE_FULL: status.RESOURCE_EXHAUSTED,
  OVERLOADED: status.RESOURCE_EXHAUSTED,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
  ADMIN_DISABLED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  ENGINE_FAILURE: status.INTERNAL,
  INTERNAL: status.INTERNAL,
});

/** A gRPC status for a failed call, ready for `callback(err)`. */
export type GrpcStatusObject = Partial<ServiceError> & { code: status; details: string; metadata: Metadata };

/**
 * Maps an error to the gRPC status a caller sees. InferenceErrors keep their message and add the stable
 * code as `hub-error-code` trailer metadata; anything else becomes INTERNAL with a generic message (the
 * caller never sees a stack; the server logs it).
 */
export function toGrpcStatus(err: unknown): GrpcStatusObject {
  const metadata = new Metadata();
  if (err instanceof InferenceError) {
    metadata.set('hub-error-code', err.code);
    // A message may quote client input: cut so it always fits a status (an oversized one never reaches the client).
    const details = err.message.length <= MAX_STATUS_CHARS ? err.message : `${err.message.slice(0, MAX_STATUS_CHARS - 40)}…(${err.message.length} chars, cut)`;
    return { code: GRPC_STATUS_OF[err.code], details, metadata, message: details, name: err.code };
  }
  metadata.set('hub-error-code', 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal server error', metadata, message: 'internal server error', name: 'INTERNAL' };
}
