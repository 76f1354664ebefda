/** Chooses the ONNX Runtime execution provider: CUDA when a GPU is present or configured, CPU otherwise. */
import { existsSync } from 'node:fs';

/** Resolves `auto` by looking for an NVIDIA device node; explicit choices are kept. */
export function resolveExecutionProvider(setting: 'auto' | 'cpu' | 'cuda'): 'cpu' | 'cuda' {
  if (setting !== 'auto') return setting;
  return existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl') ? 'cuda' : 'cpu';
}
