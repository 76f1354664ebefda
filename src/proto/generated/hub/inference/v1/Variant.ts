// Original file: proto/hub/inference/v1/inference.proto

export const Variant = {
  VARIANT_AUTO: 'VARIANT_AUTO',
  VARIANT_FP32: 'VARIANT_FP32',
  VARIANT_INT8: 'VARIANT_INT8',
  VARIANT_FP16: 'VARIANT_FP16',
} as const;

export type Variant =
  | 'VARIANT_AUTO'
  | 0
  | 'VARIANT_FP32'
  | 1
  | 'VARIANT_INT8'
  | 2
  | 'VARIANT_FP16'
  | 3

export type Variant__Output = typeof Variant[keyof typeof Variant]
