// Original file: proto/hub/inference/v1/inference.proto


export interface UnloadModelRequest {
  'model'?: (string);
  'version'?: (string);
}

export interface UnloadModelRequest__Output {
  'model': (string);
  'version': (string);
}
