// Original file: proto/hub/inference/v1/inference.proto

import type { Variant as _hub_inference_v1_Variant, Variant__Output as _hub_inference_v1_Variant__Output } from '../../../hub/inference/v1/Variant.js';
import type { Tensor as _hub_inference_v1_Tensor, Tensor__Output as _hub_inference_v1_Tensor__Output } from '../../../hub/inference/v1/Tensor.js';
import type { CachePolicy as _hub_inference_v1_CachePolicy, CachePolicy__Output as _hub_inference_v1_CachePolicy__Output } from '../../../hub/inference/v1/CachePolicy.js';

export interface PredictRequest {
  'model'?: (string);
  'version'?: (string);
  'variant'?: (_hub_inference_v1_Variant);
  'inputs'?: (_hub_inference_v1_Tensor)[];
  'outputs'?: (string)[];
  'cache'?: (_hub_inference_v1_CachePolicy);
  'requestId'?: (string);
  'typedOutputs'?: (boolean);
}

export interface PredictRequest__Output {
  'model': (string);
  'version': (string);
  'variant': (_hub_inference_v1_Variant__Output);
  'inputs': (_hub_inference_v1_Tensor__Output)[];
  'outputs': (string)[];
  'cache': (_hub_inference_v1_CachePolicy__Output);
  'requestId': (string);
  'typedOutputs': (boolean);
}
