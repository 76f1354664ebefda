/** The one error type the SDK rejects with: gRPC status code, details, and the server's stable error code. */
import * as grpc from '@grpc/grpc-js';

/** Where the error came from: the server (or transport), or the SDK itself before or around a call. */
export type ErrorOrigin = 'server' | 'client';

/** A failed call. `code` is a grpc status; `hubCode` is the server's `hub-error-code` trailer when sent. */
export class InferenceClientError extends Error {
  /** The gRPC status code (grpc.status). */
  readonly code: grpc.status;
  /** The status details (the server's message). */
  readonly details: string;
  /** The server's stable error code (e.g. MODEL_NOT_FOUND, QUEUE_FULL), from trailer `hub-error-code`. */
  readonly hubCode: string | undefined;
  /** Trailer metadata of the failed call, when there was one. */
  readonly metadata: grpc.Metadata | undefined;
  /** The target (host:port) of the last attempt, when one was made. */
  readonly target: string | undefined;
  /** How many attempts were made (0 when the call never left the SDK). */
  readonly attempts: number;
  /** 'client' when the SDK produced the error itself (bad input, local queue full, closed). */
  readonly origin: ErrorOrigin;

  constructor(init: { code: grpc.status; details: string; hubCode?: string; metadata?: grpc.Metadata; target?: string; attempts?: number; origin: ErrorOrigin; cause?: unknown }) {
    const name = grpc.status[init.code] ?? String(init.code);
    super(`${name}${init.hubCode ? ` (${init.hubCode})` : ''}: ${init.details}${init.target ? ` [${init.target}]` : ''}`, { cause: init.cause });
    this.name = 'InferenceClientError';
    this.code = init.code;
    this.details = init.details;
    this.hubCode = init.hubCode;
    this.metadata = init.metadata;
    this.target = init.target;
    this.attempts = init.attempts ?? 0;
    this.origin = init.origin;
  }
}

/** An error produced by the SDK itself (never reached the server). */
export function localError(code: grpc.status, details: string, attempts = 0, target?: string): InferenceClientError {
  return new InferenceClientError({ code, details, attempts, origin: 'client', ...(target ? { target } : {}) });
}

function isServiceError(e: unknown): e is grpc.ServiceError {
  return e instanceof Error && typeof (e as Partial<grpc.ServiceError>).code === 'number';
}

/** Wraps whatever a grpc-js call failed with. */
export function fromCallError(e: unknown, target: string, attempts: number): InferenceClientError {
  if (e instanceof InferenceClientError) return e;
  if (!isServiceError(e)) {
    return new InferenceClientError({ code: grpc.status.UNKNOWN, details: e instanceof Error ? e.message : String(e), target, attempts, origin: 'client', cause: e });
  }
  const hub = e.metadata?.get('hub-error-code')[0];
  return new InferenceClientError({
    code: e.code,
    details: e.details ?? e.message,
    ...(typeof hub === 'string' && hub ? { hubCode: hub } : {}),
    ...(e.metadata ? { metadata: e.metadata } : {}),
    target,
    attempts,
    origin: 'server',
    cause: e,
  });
}
