// Original file: proto/hub/inference/v1/inference.proto

import type { ModelSummary as _hub_inference_v1_ModelSummary, ModelSummary__Output as _hub_inference_v1_ModelSummary__Output } from '../../../hub/inference/v1/ModelSummary.js';

export interface ListModelsResponse {
  'models'?: (_hub_inference_v1_ModelSummary)[];
}

export interface ListModelsResponse__Output {
  'models': (_hub_inference_v1_ModelSummary__Output)[];
}
