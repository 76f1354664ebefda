// Original file: proto/hub/inference/v1/inference.proto


export interface GetModelMetadataRequest {
  'model'?: (string);
  'version'?: (string);
}

export interface GetModelMetadataRequest__Output {
  'model': (string);
  'version': (string);
}
