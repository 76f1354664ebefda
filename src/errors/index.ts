export { InferenceError, ERROR_CODES, isInferenceError, type ErrorCode } from './inference-error.js';
