// Original file: proto/hub/inference/v1/inference.proto

import type { Variant as _hub_inference_v1_Variant, Variant__Output as _hub_inference_v1_Variant__Output } from '../../../hub/inference/v1/Variant.js';
import type { Tensor as _hub_inference_v1_Tensor, Tensor__Output as _hub_inference_v1_Tensor__Output } from '../../../hub/inference/v1/Tensor.js';
import type { Timing as _hub_inference_v1_Timing, Timing__Output as _hub_inference_v1_Timing__Output } from '../../../hub/inference/v1/Timing.js';

export interface PredictResponse {
  'model'?: (string);
  'version'?: (string);
  'variant'?: (_hub_inference_v1_Variant);
  'outputs'?: (_hub_inference_v1_Tensor)[];
  'timing'?: (_hub_inference_v1_Timing | null);
  'cachedRows'?: (number);
  'requestId'?: (string);
}

export interface PredictResponse__Output {
  'model': (string);
  'version': (string);
  'variant': (_hub_inference_v1_Variant__Output);
  'outputs': (_hub_inference_v1_Tensor__Output)[];
  'timing': (_hub_inference_v1_Timing__Output | null);
  'cachedRows': (number);
  'requestId': (string);
}
