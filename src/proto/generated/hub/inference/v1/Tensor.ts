// Original file: proto/hub/inference/v1/inference.proto

import type { DataType as _hub_inference_v1_DataType, DataType__Output as _hub_inference_v1_DataType__Output } from '../../../hub/inference/v1/DataType.js';
import type { Long } from '@grpc/proto-loader';

export interface Tensor {
  'name'?: (string);
  'dtype'?: (_hub_inference_v1_DataType);
  'shape'?: (number | string | Long)[];
  'raw'?: (Buffer | Uint8Array | string);
  'floatData'?: (number | string)[];
  'int64Data'?: (number | string | Long)[];
  'int32Data'?: (number)[];
  'boolData'?: (boolean)[];
}

export interface Tensor__Output {
  'name': (string);
  'dtype': (_hub_inference_v1_DataType__Output);
  'shape': (string)[];
  'raw': (Buffer);
  'floatData': (number)[];
  'int64Data': (string)[];
  'int32Data': (number)[];
  'boolData': (boolean)[];
}
