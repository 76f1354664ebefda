/** The single mapping from any thrown value to a gRPC status object. */
import { status, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ERROR_CODES, InferenceError } from './inference-error.js';

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
    return { code: ERROR_CODES[err.code].grpc, details: err.message, metadata, message: err.message, name: err.code };
  }
  metadata.set('hub-error-code', 'INTERNAL');
  return { code: status.INTERNAL, details: 'internal server error', metadata, message: 'internal server error', name: 'INTERNAL' };
}
