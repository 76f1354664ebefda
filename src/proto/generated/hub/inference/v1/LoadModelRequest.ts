// Original file: proto/hub/inference/v1/inference.proto


export interface LoadModelRequest {
  'model'?: (string);
  'version'?: (string);
}

export interface LoadModelRequest__Output {
  'model': (string);
  'version': (string);
}
