// Original file: proto/hub/inference/v1/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface InputRange {
  'input'?: (string);
  'min'?: (number | string | Long);
  'max'?: (number | string | Long);
  'source'?: (string);
}

export interface InputRange__Output {
  'input': (string);
  'min': (string);
  'max': (string);
  'source': (string);
}
