/**
 * One variant policy: which variants a provider can serve, and what AUTO resolves to. INT8 (integer kernels)
 * runs on the CPU provider only; FP16 on CUDA only; FP32 everywhere. AUTO prefers INT8 on CPU when it was
 * loaded (it passed its accuracy gate), FP16 on CUDA, else FP32.
 */
import type { VariantName } from './model-layout.js';

/** Whether a variant runs on a provider. */
export function servesOn(variant: VariantName, provider: string): boolean {
  if (variant === 'int8') return provider === 'cpu';
  if (variant === 'fp16') return provider === 'cuda';
  return true;
}

/** What AUTO serves, given the loaded variants and the provider really in use. */
export function autoVariant(loaded: ReadonlySet<VariantName> | ReadonlyMap<VariantName, unknown>, provider: string): VariantName {
  if (provider === 'cpu' && loaded.has('int8')) return 'int8';
  if (provider === 'cuda' && loaded.has('fp16')) return 'fp16';
  return 'fp32';
}
