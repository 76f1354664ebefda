/**
 * The OIP messages as the server sees them: the objects @grpc/proto-loader decodes with LOADER_OPTIONS
 * (camelCase fields, int64 as decimal strings, bytes as Buffer, defaults filled in, an unset message field is
 * null). Written by hand for the few messages the handlers read; the names follow proto/inference/grpc_service.proto.
 */

/** InferParameter: exactly one of its fields is set, named by `parameterChoice`. */
export interface InferParameterMessage {
  readonly parameterChoice?: 'boolParam' | 'int64Param' | 'stringParam' | 'doubleParam' | 'uint64Param';
  readonly boolParam?: boolean;
  readonly int64Param?: string;
  readonly stringParam?: string;
  readonly doubleParam?: number;
  readonly uint64Param?: string;
}

/** A parameters map. */
export type InferParameters = Readonly<Record<string, InferParameterMessage>>;

/** InferTensorContents as decoded (every repeated field present, maybe empty). */
export interface TensorContentsMessage {
  readonly boolContents: readonly boolean[];
  readonly intContents: readonly number[];
  readonly int64Contents: readonly string[];
  readonly uintContents: readonly number[];
  readonly uint64Contents: readonly string[];
  readonly fp32Contents: readonly number[];
  readonly fp64Contents: readonly number[];
  readonly bytesContents: readonly Buffer[];
}

/** ModelInferRequest.InferInputTensor. */
export interface InferInputTensorMessage {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly string[];
  readonly parameters: InferParameters;
  readonly contents: TensorContentsMessage | null;
}

/** ModelInferRequest. */
export interface ModelInferRequestMessage {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: InferParameters;
  readonly inputs: readonly InferInputTensorMessage[];
  readonly outputs: readonly { readonly name: string; readonly parameters: InferParameters }[];
  readonly rawInputContents: readonly Buffer[];
}

/** Contents of an output tensor as the server writes them (only the field of its datatype). */
export type OutContents = Partial<Record<'boolContents' | 'intContents' | 'int64Contents' | 'uintContents' | 'fp32Contents', unknown[]>>;

/** ModelInferResponse.InferOutputTensor as the server writes it. */
export interface InferOutputTensorMessage {
  name: string;
  datatype: string;
  shape: number[];
  contents?: OutContents;
}

/** A name/version request (ModelReady, ModelMetadata). */
export interface ModelNameRequest {
  readonly name: string;
  readonly version: string;
}
