/**
 * A CPU session run synchronously, for the batches the main thread runs itself (main-thread-runner.ts).
 *
 * onnxruntime-node's public `session.run()` defers every run to a `setImmediate` and re-validates feeds in
 * onnxruntime-common before the native call. For a model that computes in ~15 us that wrapper is most of the
 * cost: measured on the build machine, a lead-scoring run took 24-28 us through the public API and 11-15 us
 * through the native session it wraps (`node` micro-benchmark, 20,000 runs). The main thread only runs
 * variants whose measured batches are tiny, so there is no event-loop benefit in deferring them.
 *
 * The native session is onnxruntime-node's own binding (`dist/binding.js`, the object its backend wraps). It
 * is not part of the package's documented API, so every use is guarded: when the binding cannot be loaded
 * or does not have the expected shape, `createSyncSession` returns undefined and the caller keeps the
 * public session. The feeds and the Tensor class are the public ones; only the deferral is skipped.
 */
import { createRequire } from 'node:module';
import type ort from 'onnxruntime-node';
import { sessionOptions, type OrtSessionSettings } from './ort-session.js';

interface NativeSession {
  loadModel(modelPath: string, options: object): void;
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, null>, options: object): Record<string, ort.Tensor>;
  dispose(): void;
  readonly outputMetadata: readonly { readonly name: string }[];
}

interface NativeBinding {
  InferenceSession: new () => NativeSession;
}

let cached: NativeBinding | null | undefined;

/** onnxruntime-node's native binding, initialised as its backend does; null when unavailable. */
function nativeBinding(): NativeBinding | null {
  if (cached !== undefined) return cached;
  try {
    const require = createRequire(import.meta.url);
    const mod = require('onnxruntime-node/dist/binding.js') as { binding?: NativeBinding; initOrt?: () => void };
    if (typeof mod.initOrt !== 'function' || typeof mod.binding?.InferenceSession !== 'function') throw new Error('unexpected binding shape');
    mod.initOrt();
    cached = mod.binding;
  } catch {
    cached = null;
  }
  return cached;
}

/** A session whose `run` returns the outputs directly (no deferral). */
export interface SyncSession {
  run(feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor>;
  release(): void;
}

/** A synchronous CPU session over the model file, or undefined when this onnxruntime-node build has none. */
export function createSyncSession(modelPath: string, settings: Omit<OrtSessionSettings, 'provider'>): SyncSession | undefined {
  const binding = nativeBinding();
  if (!binding) return undefined;
  try {
    const native = new binding.InferenceSession();
    native.loadModel(modelPath, { ...sessionOptions(settings), executionProviders: ['cpu'] });
    const fetches: Record<string, null> = {};
    for (const o of native.outputMetadata) fetches[o.name] = null;
    const runOptions = {};
    return {
      run: (feeds) => native.run(feeds, fetches, runOptions),
      release: () => native.dispose(),
    };
  } catch {
    return undefined;
  }
}
