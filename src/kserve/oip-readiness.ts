/**
 * OIP readiness read from the grpc.health.v1 registry itself, never recomputed: ServerReady and ModelReady then
 * agree with Check at every moment (NOT_SERVING while the preloaded models warm, from the first moment of a
 * drain, for a model that failed), because both read the same statuses app.ts sets.
 */
import { InferenceError } from '../errors/index.js';
import { modelHealthService, type Health } from '../health/index.js';
import type { ModelRepository } from '../repository/model-repository.js';

/** ServerReady: grpc.health.v1 Check("") is SERVING. */
export function serverReady(health: Health): boolean {
  return health.status('') === 'SERVING';
}

/**
 * ModelReady: the model's grpc.health.v1 name is SERVING and, when a version is named, that version is loaded.
 * An unknown model or version is NOT_FOUND (as Check answers for an unknown name); a model whose config is
 * invalid or that has no version directory is simply not ready.
 */
export function modelReady(health: Health, repository: ModelRepository, name: string, version: string): boolean {
  if (!name) throw new InferenceError('INVALID_REQUEST', 'field "name" is required');
  let versionReady: boolean;
  try {
    // Also what makes an unknown model or version NOT_FOUND.
    versionReady = repository.details(name, version || undefined).ready;
  } catch (e) {
    if (!(e instanceof InferenceError) || e.code !== 'MODEL_NOT_READY') throw e;
    return false;
  }
  // Without a version, the health status alone: it is what Check answers for the model.
  return health.status(modelHealthService(name)) === 'SERVING' && (!version || versionReady);
}
