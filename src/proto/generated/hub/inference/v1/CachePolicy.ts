// Original file: proto/hub/inference/v1/inference.proto

export const CachePolicy = {
  CACHE_POLICY_DEFAULT: 'CACHE_POLICY_DEFAULT',
  CACHE_POLICY_BYPASS: 'CACHE_POLICY_BYPASS',
  CACHE_POLICY_REFRESH: 'CACHE_POLICY_REFRESH',
} as const;

export type CachePolicy =
  | 'CACHE_POLICY_DEFAULT'
  | 0
  | 'CACHE_POLICY_BYPASS'
  | 1
  | 'CACHE_POLICY_REFRESH'
  | 2

export type CachePolicy__Output = typeof CachePolicy[keyof typeof CachePolicy]
