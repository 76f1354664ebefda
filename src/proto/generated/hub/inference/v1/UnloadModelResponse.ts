// Original file: proto/hub/inference/v1/inference.proto


export interface UnloadModelResponse {
  'model'?: (string);
  'version'?: (string);
}

export interface UnloadModelResponse__Output {
  'model': (string);
  'version': (string);
}
