// Original file: proto/hub/inference/v1/inference.proto


export interface ListModelsRequest {
}

export interface ListModelsRequest__Output {
}
