// Original file: proto/hub/inference/v1/inference.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetModelMetadataRequest as _hub_inference_v1_GetModelMetadataRequest, GetModelMetadataRequest__Output as _hub_inference_v1_GetModelMetadataRequest__Output } from '../../../hub/inference/v1/GetModelMetadataRequest.js';
import type { ListModelsRequest as _hub_inference_v1_ListModelsRequest, ListModelsRequest__Output as _hub_inference_v1_ListModelsRequest__Output } from '../../../hub/inference/v1/ListModelsRequest.js';
import type { ListModelsResponse as _hub_inference_v1_ListModelsResponse, ListModelsResponse__Output as _hub_inference_v1_ListModelsResponse__Output } from '../../../hub/inference/v1/ListModelsResponse.js';
import type { LoadModelRequest as _hub_inference_v1_LoadModelRequest, LoadModelRequest__Output as _hub_inference_v1_LoadModelRequest__Output } from '../../../hub/inference/v1/LoadModelRequest.js';
import type { LoadModelResponse as _hub_inference_v1_LoadModelResponse, LoadModelResponse__Output as _hub_inference_v1_LoadModelResponse__Output } from '../../../hub/inference/v1/LoadModelResponse.js';
import type { ModelMetadata as _hub_inference_v1_ModelMetadata, ModelMetadata__Output as _hub_inference_v1_ModelMetadata__Output } from '../../../hub/inference/v1/ModelMetadata.js';
import type { PredictRequest as _hub_inference_v1_PredictRequest, PredictRequest__Output as _hub_inference_v1_PredictRequest__Output } from '../../../hub/inference/v1/PredictRequest.js';
import type { PredictResponse as _hub_inference_v1_PredictResponse, PredictResponse__Output as _hub_inference_v1_PredictResponse__Output } from '../../../hub/inference/v1/PredictResponse.js';
import type { UnloadModelRequest as _hub_inference_v1_UnloadModelRequest, UnloadModelRequest__Output as _hub_inference_v1_UnloadModelRequest__Output } from '../../../hub/inference/v1/UnloadModelRequest.js';
import type { UnloadModelResponse as _hub_inference_v1_UnloadModelResponse, UnloadModelResponse__Output as _hub_inference_v1_UnloadModelResponse__Output } from '../../../hub/inference/v1/UnloadModelResponse.js';

export interface InferenceServiceClient extends grpc.Client {
  GetModelMetadata(argument: _hub_inference_v1_GetModelMetadataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_ModelMetadata__Output>): grpc.ClientUnaryCall;
  GetModelMetadata(argument: _hub_inference_v1_GetModelMetadataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_ModelMetadata__Output>): grpc.ClientUnaryCall;
  GetModelMetadata(argument: _hub_inference_v1_GetModelMetadataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_ModelMetadata__Output>): grpc.ClientUnaryCall;
  GetModelMetadata(argument: _hub_inference_v1_GetModelMetadataRequest, callback: grpc.requestCallback<_hub_inference_v1_ModelMetadata__Output>): grpc.ClientUnaryCall;
  getModelMetadata(argument: _hub_inference_v1_GetModelMetadataRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_ModelMetadata__Output>): grpc.ClientUnaryCall;
  getModelMetadata(argument: _hub_inference_v1_GetModelMetadataRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_ModelMetadata__Output>): grpc.ClientUnaryCall;
  getModelMetadata(argument: _hub_inference_v1_GetModelMetadataRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_ModelMetadata__Output>): grpc.ClientUnaryCall;
  getModelMetadata(argument: _hub_inference_v1_GetModelMetadataRequest, callback: grpc.requestCallback<_hub_inference_v1_ModelMetadata__Output>): grpc.ClientUnaryCall;
  
  ListModels(argument: _hub_inference_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _hub_inference_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _hub_inference_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _hub_inference_v1_ListModelsRequest, callback: grpc.requestCallback<_hub_inference_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _hub_inference_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _hub_inference_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _hub_inference_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _hub_inference_v1_ListModelsRequest, callback: grpc.requestCallback<_hub_inference_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  
  LoadModel(argument: _hub_inference_v1_LoadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  LoadModel(argument: _hub_inference_v1_LoadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  LoadModel(argument: _hub_inference_v1_LoadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  LoadModel(argument: _hub_inference_v1_LoadModelRequest, callback: grpc.requestCallback<_hub_inference_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  loadModel(argument: _hub_inference_v1_LoadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  loadModel(argument: _hub_inference_v1_LoadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  loadModel(argument: _hub_inference_v1_LoadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  loadModel(argument: _hub_inference_v1_LoadModelRequest, callback: grpc.requestCallback<_hub_inference_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  
  Predict(argument: _hub_inference_v1_PredictRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _hub_inference_v1_PredictRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _hub_inference_v1_PredictRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  Predict(argument: _hub_inference_v1_PredictRequest, callback: grpc.requestCallback<_hub_inference_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _hub_inference_v1_PredictRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _hub_inference_v1_PredictRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _hub_inference_v1_PredictRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  predict(argument: _hub_inference_v1_PredictRequest, callback: grpc.requestCallback<_hub_inference_v1_PredictResponse__Output>): grpc.ClientUnaryCall;
  
  UnloadModel(argument: _hub_inference_v1_UnloadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  UnloadModel(argument: _hub_inference_v1_UnloadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  UnloadModel(argument: _hub_inference_v1_UnloadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  UnloadModel(argument: _hub_inference_v1_UnloadModelRequest, callback: grpc.requestCallback<_hub_inference_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  unloadModel(argument: _hub_inference_v1_UnloadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  unloadModel(argument: _hub_inference_v1_UnloadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_hub_inference_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  unloadModel(argument: _hub_inference_v1_UnloadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_hub_inference_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  unloadModel(argument: _hub_inference_v1_UnloadModelRequest, callback: grpc.requestCallback<_hub_inference_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface InferenceServiceHandlers extends grpc.UntypedServiceImplementation {
  GetModelMetadata: grpc.handleUnaryCall<_hub_inference_v1_GetModelMetadataRequest__Output, _hub_inference_v1_ModelMetadata>;
  
  ListModels: grpc.handleUnaryCall<_hub_inference_v1_ListModelsRequest__Output, _hub_inference_v1_ListModelsResponse>;
  
  LoadModel: grpc.handleUnaryCall<_hub_inference_v1_LoadModelRequest__Output, _hub_inference_v1_LoadModelResponse>;
  
  Predict: grpc.handleUnaryCall<_hub_inference_v1_PredictRequest__Output, _hub_inference_v1_PredictResponse>;
  
  UnloadModel: grpc.handleUnaryCall<_hub_inference_v1_UnloadModelRequest__Output, _hub_inference_v1_UnloadModelResponse>;
  
}

export interface InferenceServiceDefinition extends grpc.ServiceDefinition {
  GetModelMetadata: MethodDefinition<_hub_inference_v1_GetModelMetadataRequest, _hub_inference_v1_ModelMetadata, _hub_inference_v1_GetModelMetadataRequest__Output, _hub_inference_v1_ModelMetadata__Output>
  ListModels: MethodDefinition<_hub_inference_v1_ListModelsRequest, _hub_inference_v1_ListModelsResponse, _hub_inference_v1_ListModelsRequest__Output, _hub_inference_v1_ListModelsResponse__Output>
  LoadModel: MethodDefinition<_hub_inference_v1_LoadModelRequest, _hub_inference_v1_LoadModelResponse, _hub_inference_v1_LoadModelRequest__Output, _hub_inference_v1_LoadModelResponse__Output>
  Predict: MethodDefinition<_hub_inference_v1_PredictRequest, _hub_inference_v1_PredictResponse, _hub_inference_v1_PredictRequest__Output, _hub_inference_v1_PredictResponse__Output>
  UnloadModel: MethodDefinition<_hub_inference_v1_UnloadModelRequest, _hub_inference_v1_UnloadModelResponse, _hub_inference_v1_UnloadModelRequest__Output, _hub_inference_v1_UnloadModelResponse__Output>
}
