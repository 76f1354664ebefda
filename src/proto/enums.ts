/**
 * The proto's enum names and the project's words for them, in one place for the server and the client SDK:
 * DataType <-> dtype, Variant <-> variant, CachePolicy <-> cache policy.
 */
import type { DType } from '../tensor/tensor.js';

/** The Tensor message as @grpc/proto-loader decodes it (camelCase fields, int64 as decimal strings; generated). */
export type { Tensor__Output as TensorMessage } from './generated/hub/inference/v1/Tensor.js';

/** dtype -> wire enum name. */
export const DTYPE_TO_WIRE: Readonly<Record<DType, string>> = Object.freeze({
  float32: 'DATA_TYPE_FLOAT32', float16: 'DATA_TYPE_FLOAT16', int64: 'DATA_TYPE_INT64',
  int32: 'DATA_TYPE_INT32', uint8: 'DATA_TYPE_UINT8', bool: 'DATA_TYPE_BOOL',
});

/** wire enum name -> dtype. */
export const WIRE_TO_DTYPE: Readonly<Record<string, DType>> = Object.freeze(
  Object.fromEntries(Object.entries(DTYPE_TO_WIRE).map(([d, e]) => [e, d as DType])),
);

/** A variant as requested (AUTO resolves on the server). */
export type VariantRequest = 'auto' | 'fp32' | 'int8' | 'fp16';
/** A cache policy. */
export type CachePolicyName = 'default' | 'bypass' | 'refresh';

/** Variant enum name -> variant. */
export const VARIANT_FROM_ENUM: Readonly<Record<string, VariantRequest>> = Object.freeze({
  VARIANT_AUTO: 'auto', VARIANT_FP32: 'fp32', VARIANT_INT8: 'int8', VARIANT_FP16: 'fp16',
});
/** variant -> Variant enum name. */
export const VARIANT_TO_ENUM: Readonly<Record<VariantRequest, string>> = Object.freeze({
  auto: 'VARIANT_AUTO', fp32: 'VARIANT_FP32', int8: 'VARIANT_INT8', fp16: 'VARIANT_FP16',
});
/** CachePolicy enum name -> cache policy. */
export const CACHE_FROM_ENUM: Readonly<Record<string, CachePolicyName>> = Object.freeze({
  CACHE_POLICY_DEFAULT: 'default', CACHE_POLICY_BYPASS: 'bypass', CACHE_POLICY_REFRESH: 'refresh',
});
/** cache policy -> CachePolicy enum name. */
export const CACHE_TO_ENUM: Readonly<Record<CachePolicyName, string>> = Object.freeze({
  default: 'CACHE_POLICY_DEFAULT', bypass: 'CACHE_POLICY_BYPASS', refresh: 'CACHE_POLICY_REFRESH',
});
