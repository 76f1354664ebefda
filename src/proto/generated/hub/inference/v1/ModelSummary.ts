// Original file: proto/hub/inference/v1/inference.proto

import type { Variant as _hub_inference_v1_Variant, Variant__Output as _hub_inference_v1_Variant__Output } from '../../../hub/inference/v1/Variant.js';
import type { Long } from '@grpc/proto-loader';

export interface ModelSummary {
  'name'?: (string);
  'versions'?: (string)[];
  'latestVersion'?: (string);
  'ready'?: (boolean);
  'variants'?: (_hub_inference_v1_Variant)[];
  'state'?: (string);
  'error'?: (string);
  'configSource'?: (string);
  'residencyReason'?: (string);
  'predictedDemand'?: (number | string);
  'residentBytes'?: (number | string | Long);
  'pinned'?: (boolean);
  'coldStarts'?: (number | string | Long);
}

export interface ModelSummary__Output {
  'name': (string);
  'versions': (string)[];
  'latestVersion': (string);
  'ready': (boolean);
  'variants': (_hub_inference_v1_Variant__Output)[];
  'state': (string);
  'error': (string);
  'configSource': (string);
  'residencyReason': (string);
  'predictedDemand': (number);
  'residentBytes': (string);
  'pinned': (boolean);
  'coldStarts': (string);
}
