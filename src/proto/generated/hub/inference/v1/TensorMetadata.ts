// Original file: proto/hub/inference/v1/inference.proto

import type { DataType as _hub_inference_v1_DataType, DataType__Output as _hub_inference_v1_DataType__Output } from '../../../hub/inference/v1/DataType.js';
import type { Long } from '@grpc/proto-loader';

export interface TensorMetadata {
  'name'?: (string);
  'dtype'?: (_hub_inference_v1_DataType);
  'shape'?: (number | string | Long)[];
}

export interface TensorMetadata__Output {
  'name': (string);
  'dtype': (_hub_inference_v1_DataType__Output);
  'shape': (string)[];
}
