// Original file: proto/hub/inference/v1/inference.proto

import type { Variant as _hub_inference_v1_Variant, Variant__Output as _hub_inference_v1_Variant__Output } from '../../../hub/inference/v1/Variant.js';
import type { TensorMetadata as _hub_inference_v1_TensorMetadata, TensorMetadata__Output as _hub_inference_v1_TensorMetadata__Output } from '../../../hub/inference/v1/TensorMetadata.js';
import type { InputRange as _hub_inference_v1_InputRange, InputRange__Output as _hub_inference_v1_InputRange__Output } from '../../../hub/inference/v1/InputRange.js';

export interface _hub_inference_v1_ModelMetadata_ProfilePoint {
  'batchSize'?: (number);
  'medianUs'?: (number | string);
  'rowsPerSecond'?: (number | string);
  'wideMedianUs'?: (number | string);
}

export interface _hub_inference_v1_ModelMetadata_ProfilePoint__Output {
  'batchSize': (number);
  'medianUs': (number);
  'rowsPerSecond': (number);
  'wideMedianUs': (number);
}

export interface _hub_inference_v1_ModelMetadata_VariantProfile {
  'variant'?: (_hub_inference_v1_Variant);
  'points'?: (_hub_inference_v1_ModelMetadata_ProfilePoint)[];
  'bestBatchSize'?: (number);
  'bestRowsPerSecond'?: (number | string);
  'batchCap'?: (number);
  'dispatchPath'?: (string);
}

export interface _hub_inference_v1_ModelMetadata_VariantProfile__Output {
  'variant': (_hub_inference_v1_Variant__Output);
  'points': (_hub_inference_v1_ModelMetadata_ProfilePoint__Output)[];
  'bestBatchSize': (number);
  'bestRowsPerSecond': (number);
  'batchCap': (number);
  'dispatchPath': (string);
}

export interface ModelMetadata {
  'name'?: (string);
  'version'?: (string);
  'versions'?: (string)[];
  'variants'?: (_hub_inference_v1_Variant)[];
  'inputs'?: (_hub_inference_v1_TensorMetadata)[];
  'outputs'?: (_hub_inference_v1_TensorMetadata)[];
  'maxBatchSize'?: (number);
  'ready'?: (boolean);
  'state'?: (string);
  'defaultVariant'?: (_hub_inference_v1_Variant);
  'platform'?: (string);
  'executionProvider'?: (string);
  'configSource'?: (string);
  'inputRanges'?: (_hub_inference_v1_InputRange)[];
  'dispatchPaths'?: ({[key: string]: string});
  'profiles'?: (_hub_inference_v1_ModelMetadata_VariantProfile)[];
  'autoVariantReason'?: (string);
  'warmupMs'?: (number);
  'graphRewrites'?: ({[key: string]: string});
}

export interface ModelMetadata__Output {
  'name': (string);
  'version': (string);
  'versions': (string)[];
  'variants': (_hub_inference_v1_Variant__Output)[];
  'inputs': (_hub_inference_v1_TensorMetadata__Output)[];
  'outputs': (_hub_inference_v1_TensorMetadata__Output)[];
  'maxBatchSize': (number);
  'ready': (boolean);
  'state': (string);
  'defaultVariant': (_hub_inference_v1_Variant__Output);
  'platform': (string);
  'executionProvider': (string);
  'configSource': (string);
  'inputRanges': (_hub_inference_v1_InputRange__Output)[];
  'dispatchPaths': ({[key: string]: string});
  'profiles': (_hub_inference_v1_ModelMetadata_VariantProfile__Output)[];
  'autoVariantReason': (string);
  'warmupMs': (number);
  'graphRewrites': ({[key: string]: string});
}
