// Original file: proto/hub/inference/v1/inference.proto

import type { Long } from '@grpc/proto-loader';

export interface Timing {
  'queueUs'?: (number | string | Long);
  'computeUs'?: (number | string | Long);
  'batchSize'?: (number);
  'totalUs'?: (number | string | Long);
}

export interface Timing__Output {
  'queueUs': (string);
  'computeUs': (string);
  'batchSize': (number);
  'totalUs': (string);
}
