/** The hub-inference client SDK: what `import { InferenceClient } from 'hub-inference'` exposes. */
export { InferenceClient } from './inference-client.js';
export type {
  InferenceClientOptions, CallOptions, PredictOptions, PredictResult, PredictTiming, ModelSummary, ModelMetadata,
  TensorSpec, AdminOptions, Variant, CachePolicy,
} from './inference-client.js';
export { InferenceClientError } from './client-error.js';
export type { ErrorOrigin } from './client-error.js';
export type { DType, TypedArray, TensorInput, InputValue, OutputTensor } from './tensor-encoding.js';
export type { RetryPolicy } from './backoff.js';
export { DEFAULT_RETRY_POLICY } from './backoff.js';
