/**
 * Triton's model-repository extension over the same ModelRepository as hub.inference.v1's admin RPCs:
 * RepositoryIndex lists, RepositoryModelLoad re-reads and loads (as LoadModel), RepositoryModelUnload unloads
 * every version (Triton unloads a model, not a version). Load and unload follow LoadModel's token rule.
 */
import { checkAdminAccess, type AdminAccess } from '../server/admin-access.js';
import type { Metadata } from '@grpc/grpc-js';
import { InferenceError } from '../errors/index.js';
import { moduleLogger } from '../logging/logger.js';
import { checkClientString } from '../server/request-limits.js';
import type { ModelRepository, ModelState } from '../repository/model-repository.js';

const log = moduleLogger('kserve');

export { checkAdminAccess, type AdminAccess } from '../server/admin-access.js';

/** Triton's model states: READY, LOADING, or UNAVAILABLE (unloaded or failed, with the reason). */
const TRITON_STATE: Readonly<Record<ModelState, string>> = { READY: 'READY', LOADING: 'LOADING', UNLOADED: 'UNAVAILABLE', FAILED: 'UNAVAILABLE' };

/** hub-inference has one repository: an empty name means it; any other is refused rather than ignored. */
function checkRepositoryName(name: string): void {
  if (name) throw new InferenceError('INVALID_REQUEST', `repository_name "${name.slice(0, 64)}" is unknown: this server has one model repository; leave repository_name empty`);
}

/** Refuses load/unload parameters, except Triton's unload_dependents (a no-op: there are no ensembles). */
function checkRepositoryParameters(rpc: string, params: Readonly<Record<string, unknown>>): void {
  const keys = Object.keys(params).filter((k) => !(rpc === 'RepositoryModelUnload' && k === 'unload_dependents'));
  if (keys.length > 0) {
    throw new InferenceError('INVALID_REQUEST', `${rpc} takes no parameters here (got ${keys.map((k) => k.slice(0, 64)).join(', ')}); models load from the repository as they are on disk`);
  }
}

/** The three repository RPCs as async functions of their request; the service wraps them. */
export function repositoryHandlers(repository: ModelRepository, access: AdminAccess) {
  const admin = (rpc: string, req: { repositoryName: string; modelName: string; parameters: Readonly<Record<string, unknown>> }, md: Metadata): string => {
    checkAdminAccess(access, md);
    checkClientString('repository_name', req.repositoryName);
    checkClientString('model_name', req.modelName);
    checkRepositoryName(req.repositoryName);
    checkRepositoryParameters(rpc, req.parameters);
    if (!req.modelName) throw new InferenceError('INVALID_REQUEST', 'field "model_name" is required');
    return req.modelName;
  };
  return {
    index: (req: { repositoryName: string; ready: boolean }): { models: { name: string; version: string; state: string; reason: string }[] } => {
      checkClientString('repository_name', req.repositoryName);
      checkRepositoryName(req.repositoryName);
      const models = repository.list()
        .filter((m) => !req.ready || m.ready)
        .map((m) => ({ name: m.name, version: m.latestVersion, state: TRITON_STATE[m.state], reason: m.error ?? (m.state === 'UNLOADED' ? 'unloaded' : '') }));
      return { models };
    },
    load: async (req: { repositoryName: string; modelName: string; parameters: Readonly<Record<string, unknown>> }, md: Metadata): Promise<Record<string, never>> => {
      const name = admin('RepositoryModelLoad', req, md);
      await repository.reload(name);
      log.info({ model: name, version: repository.details(name).version }, 'model loaded by RepositoryModelLoad');
      return {};
    },
    unload: async (req: { repositoryName: string; modelName: string; parameters: Readonly<Record<string, unknown>> }, md: Metadata): Promise<Record<string, never>> => {
      const name = admin('RepositoryModelUnload', req, md);
      // From the listing, not details(): a model whose config turned invalid can still be unloaded.
      const versions = repository.list().find((m) => m.name === name)?.versions;
      if (!versions) throw new InferenceError('MODEL_NOT_FOUND', `model "${name}" not found; available models: ${repository.names().join(', ') || '(none)'}`);
      for (const v of versions) await repository.unload(name, v);
      log.info({ model: name, versions }, 'model unloaded by RepositoryModelUnload');
      return {};
    },
  };
}
