// Original file: proto/hub/inference/v1/inference.proto


export interface LoadModelResponse {
  'model'?: (string);
  'version'?: (string);
  'ready'?: (boolean);
}

export interface LoadModelResponse__Output {
  'model': (string);
  'version': (string);
  'ready': (boolean);
}
