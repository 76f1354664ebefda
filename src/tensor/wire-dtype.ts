/** The proto's Tensor message and DataType enum names for each dtype, shared by the server codec and the client SDK. */
import type { DType } from './tensor.js';

/** dtype -> wire enum name. */
export const DTYPE_TO_WIRE: Readonly<Record<DType, string>> = Object.freeze({
  float32: 'DATA_TYPE_FLOAT32', float16: 'DATA_TYPE_FLOAT16', int64: 'DATA_TYPE_INT64',
  int32: 'DATA_TYPE_INT32', uint8: 'DATA_TYPE_UINT8', bool: 'DATA_TYPE_BOOL',
});

/** wire enum name -> dtype. */
export const WIRE_TO_DTYPE: Readonly<Record<string, DType>> = Object.freeze(
  Object.fromEntries(Object.entries(DTYPE_TO_WIRE).map(([d, e]) => [e, d as DType])),
);

/** The Tensor message as @grpc/proto-loader decodes it (camelCase fields, int64 as decimal strings). */
export interface WireTensorMessage {
  name: string;
  dtype: string;
  shape: (string | number)[];
  raw: Buffer;
  floatData: number[];
  int64Data: (string | number)[];
  int32Data: number[];
  boolData: boolean[];
}
