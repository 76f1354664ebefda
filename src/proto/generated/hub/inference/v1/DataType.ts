// Original file: proto/hub/inference/v1/inference.proto

export const DataType = {
  DATA_TYPE_UNSPECIFIED: 'DATA_TYPE_UNSPECIFIED',
  DATA_TYPE_FLOAT32: 'DATA_TYPE_FLOAT32',
  DATA_TYPE_FLOAT16: 'DATA_TYPE_FLOAT16',
  DATA_TYPE_INT64: 'DATA_TYPE_INT64',
  DATA_TYPE_INT32: 'DATA_TYPE_INT32',
  DATA_TYPE_UINT8: 'DATA_TYPE_UINT8',
  DATA_TYPE_BOOL: 'DATA_TYPE_BOOL',
} as const;

export type DataType =
  | 'DATA_TYPE_UNSPECIFIED'
  | 0
  | 'DATA_TYPE_FLOAT32'
  | 1
  | 'DATA_TYPE_FLOAT16'
  | 2
  | 'DATA_TYPE_INT64'
  | 3
  | 'DATA_TYPE_INT32'
  | 4
  | 'DATA_TYPE_UINT8'
  | 5
  | 'DATA_TYPE_BOOL'
  | 6

export type DataType__Output = typeof DataType[keyof typeof DataType]
