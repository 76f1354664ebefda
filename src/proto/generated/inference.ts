import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { GetModelMetadataRequest as _hub_inference_v1_GetModelMetadataRequest, GetModelMetadataRequest__Output as _hub_inference_v1_GetModelMetadataRequest__Output } from './hub/inference/v1/GetModelMetadataRequest.js';
import type { InferenceServiceClient as _hub_inference_v1_InferenceServiceClient, InferenceServiceDefinition as _hub_inference_v1_InferenceServiceDefinition } from './hub/inference/v1/InferenceService.js';
import type { InputRange as _hub_inference_v1_InputRange, InputRange__Output as _hub_inference_v1_InputRange__Output } from './hub/inference/v1/InputRange.js';
import type { ListModelsRequest as _hub_inference_v1_ListModelsRequest, ListModelsRequest__Output as _hub_inference_v1_ListModelsRequest__Output } from './hub/inference/v1/ListModelsRequest.js';
import type { ListModelsResponse as _hub_inference_v1_ListModelsResponse, ListModelsResponse__Output as _hub_inference_v1_ListModelsResponse__Output } from './hub/inference/v1/ListModelsResponse.js';
import type { LoadModelRequest as _hub_inference_v1_LoadModelRequest, LoadModelRequest__Output as _hub_inference_v1_LoadModelRequest__Output } from './hub/inference/v1/LoadModelRequest.js';
import type { LoadModelResponse as _hub_inference_v1_LoadModelResponse, LoadModelResponse__Output as _hub_inference_v1_LoadModelResponse__Output } from './hub/inference/v1/LoadModelResponse.js';
import type { ModelMetadata as _hub_inference_v1_ModelMetadata, ModelMetadata__Output as _hub_inference_v1_ModelMetadata__Output } from './hub/inference/v1/ModelMetadata.js';
import type { ModelSummary as _hub_inference_v1_ModelSummary, ModelSummary__Output as _hub_inference_v1_ModelSummary__Output } from './hub/inference/v1/ModelSummary.js';
import type { PredictRequest as _hub_inference_v1_PredictRequest, PredictRequest__Output as _hub_inference_v1_PredictRequest__Output } from './hub/inference/v1/PredictRequest.js';
import type { PredictResponse as _hub_inference_v1_PredictResponse, PredictResponse__Output as _hub_inference_v1_PredictResponse__Output } from './hub/inference/v1/PredictResponse.js';
import type { Tensor as _hub_inference_v1_Tensor, Tensor__Output as _hub_inference_v1_Tensor__Output } from './hub/inference/v1/Tensor.js';
import type { TensorMetadata as _hub_inference_v1_TensorMetadata, TensorMetadata__Output as _hub_inference_v1_TensorMetadata__Output } from './hub/inference/v1/TensorMetadata.js';
import type { Timing as _hub_inference_v1_Timing, Timing__Output as _hub_inference_v1_Timing__Output } from './hub/inference/v1/Timing.js';
import type { UnloadModelRequest as _hub_inference_v1_UnloadModelRequest, UnloadModelRequest__Output as _hub_inference_v1_UnloadModelRequest__Output } from './hub/inference/v1/UnloadModelRequest.js';
import type { UnloadModelResponse as _hub_inference_v1_UnloadModelResponse, UnloadModelResponse__Output as _hub_inference_v1_UnloadModelResponse__Output } from './hub/inference/v1/UnloadModelResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  hub: {
    inference: {
      v1: {
        CachePolicy: EnumTypeDefinition
        DataType: EnumTypeDefinition
        GetModelMetadataRequest: MessageTypeDefinition<_hub_inference_v1_GetModelMetadataRequest, _hub_inference_v1_GetModelMetadataRequest__Output>
        InferenceService: SubtypeConstructor<typeof grpc.Client, _hub_inference_v1_InferenceServiceClient> & { service: _hub_inference_v1_InferenceServiceDefinition }
        InputRange: MessageTypeDefinition<_hub_inference_v1_InputRange, _hub_inference_v1_InputRange__Output>
        ListModelsRequest: MessageTypeDefinition<_hub_inference_v1_ListModelsRequest, _hub_inference_v1_ListModelsRequest__Output>
        ListModelsResponse: MessageTypeDefinition<_hub_inference_v1_ListModelsResponse, _hub_inference_v1_ListModelsResponse__Output>
        LoadModelRequest: MessageTypeDefinition<_hub_inference_v1_LoadModelRequest, _hub_inference_v1_LoadModelRequest__Output>
        LoadModelResponse: MessageTypeDefinition<_hub_inference_v1_LoadModelResponse, _hub_inference_v1_LoadModelResponse__Output>
        ModelMetadata: MessageTypeDefinition<_hub_inference_v1_ModelMetadata, _hub_inference_v1_ModelMetadata__Output>
        ModelSummary: MessageTypeDefinition<_hub_inference_v1_ModelSummary, _hub_inference_v1_ModelSummary__Output>
        PredictRequest: MessageTypeDefinition<_hub_inference_v1_PredictRequest, _hub_inference_v1_PredictRequest__Output>
        PredictResponse: MessageTypeDefinition<_hub_inference_v1_PredictResponse, _hub_inference_v1_PredictResponse__Output>
        Tensor: MessageTypeDefinition<_hub_inference_v1_Tensor, _hub_inference_v1_Tensor__Output>
        TensorMetadata: MessageTypeDefinition<_hub_inference_v1_TensorMetadata, _hub_inference_v1_TensorMetadata__Output>
        Timing: MessageTypeDefinition<_hub_inference_v1_Timing, _hub_inference_v1_Timing__Output>
        UnloadModelRequest: MessageTypeDefinition<_hub_inference_v1_UnloadModelRequest, _hub_inference_v1_UnloadModelRequest__Output>
        UnloadModelResponse: MessageTypeDefinition<_hub_inference_v1_UnloadModelResponse, _hub_inference_v1_UnloadModelResponse__Output>
        Variant: EnumTypeDefinition
      }
    }
  }
}

