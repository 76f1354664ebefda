export { InferenceError, ERROR_CODES, isInferenceError, type ErrorCode } from './inference-error.js';
export { toGrpcStatus, type GrpcStatusObject } from './grpc-status.js';
