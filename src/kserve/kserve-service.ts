/**
 * The gRPC handlers of inference.GRPCInferenceService (Open Inference Protocol / KServe v2), over the same
 * predictor, repository, health registry and error mapping as hub.inference.v1: ModelInfer goes through the same
 * cache, single-flight, batcher and variants as Predict, counts in the same metrics, and its errors go through
 * toGrpcStatus, the one mapping.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { InferenceError } from '../errors/index.js';
import { inferenceCall, unaryCall } from '../server/inference-call.js';
import { checkClientString, MAX_REQUEST_ID_CHARS } from '../server/request-limits.js';
import { protoRoot } from '../proto/hub-proto.js';
import type { Health } from '../health/index.js';
import type { Predictor } from '../predict/predictor.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { HostTensor } from '../tensor/tensor.js';
import type { ModelInferRequestMessage, ModelNameRequest } from './oip-messages.js';
import { decodeInputs, encodeOutputs, OIP_DATATYPE } from './oip-tensor-codec.js';
import { parseInferParameters, refuseTensorParameters, responseParameters } from './oip-parameters.js';
import { modelReady, serverReady } from './oip-readiness.js';
import { repositoryHandlers, type AdminAccess } from './repository-extension.js';


/** ServerMetadata `name`. */
export const OIP_SERVER_NAME = 'hub-inference';

/** ServerMetadata `extensions`: Triton's names for what is implemented beyond the core protocol. */
export const OIP_EXTENSIONS: readonly string[] = Object.freeze(['model_repository', 'parameters']);

/** ModelMetadata `platform` (the specification's name for an ONNX model run by ONNX Runtime). */
export const OIP_PLATFORM = 'onnx_onnxv1';

/** What the handlers need: the same objects the hub.inference.v1 service gets, plus the health registry. */
export interface KserveServiceDeps extends AdminAccess {
  readonly predictor: Predictor;
  readonly repository: ModelRepository;
  /** The grpc.health.v1 registry: ServerReady and ModelReady read it. */
  readonly health: Health;
  /** True once shutdown began: new ModelInfer calls get UNAVAILABLE. */
  readonly isDraining: () => boolean;
  /** Tracks calls in flight so shutdown can wait for them. */
  readonly track: <T>(p: Promise<T>) => Promise<T>;
}

let version: string | undefined;

/** The server version from package.json (next to proto/, in the repository and in the image). */
function serverVersion(): string {
  if (version === undefined) {
    try {
      version = String((JSON.parse(readFileSync(path.join(path.dirname(protoRoot()), 'package.json'), 'utf8')) as { version?: unknown }).version ?? '');
    } catch {
      version = '';
    }
  }
  return version;
}

/** Builds the service implementation. */
export function createKserveService(deps: KserveServiceDeps): UntypedServiceImplementation {
  const callDeps = { knownModel: (m: string) => deps.repository.has(m), isDraining: deps.isDraining, track: deps.track };
  const names = (req: ModelNameRequest): ModelNameRequest => {
    checkClientString('name', req.name);
    checkClientString('version', req.version);
    return req;
  };
  const repo = repositoryHandlers(deps.repository, deps);

  return {
    // Live while the process answers: liveness is not readiness (a draining server is live and not ready).
    ServerLive: unaryCall('ServerLive', () => ({ live: true })),

    ServerReady: unaryCall('ServerReady', () => ({ ready: serverReady(deps.health) })),

    ModelReady: unaryCall<ModelNameRequest>('ModelReady', ({ request }) => {
      const { name, version: v } = names(request);
      return { ready: modelReady(deps.health, deps.repository, name, v) };
    }),

    ServerMetadata: unaryCall('ServerMetadata', () => ({ name: OIP_SERVER_NAME, version: serverVersion(), extensions: OIP_EXTENSIONS })),

    ModelMetadata: unaryCall<ModelNameRequest>('ModelMetadata', ({ request }) => {
      const { name, version: v } = names(request);
      if (!name) throw new InferenceError('INVALID_REQUEST', 'field "name" is required');
      const d = deps.repository.details(name, v || undefined);
      const tensor = (s: { name: string; dtype: HostTensor['dtype']; shape: readonly number[] }): unknown => ({ name: s.name, datatype: OIP_DATATYPE[s.dtype], shape: s.shape });
      return {
        name: d.name, versions: d.versions, platform: OIP_PLATFORM,
        inputs: d.config.inputs.map(tensor), outputs: d.config.outputs.map(tensor),
        // hub-inference facts a Triton/KServe client has no field for (README "Open Inference Protocol").
        properties: {
          version: d.version, state: d.state, variants: d.variants.join(','), default_variant: d.defaultVariant,
          max_batch_size: String(d.config.maxBatchSize), execution_provider: d.provider,
        },
      };
    }),

    ModelInfer: inferenceCall<ModelInferRequestMessage>(callDeps, {
      model: (req) => req.modelName,
      requestId: (req) => req.id,
      run: async (req, ctx) => {
        checkClientString('model_name', req.modelName);
        checkClientString('model_version', req.modelVersion);
        checkClientString('id', req.id, MAX_REQUEST_ID_CHARS);
        const options = parseInferParameters(req.parameters);
        for (const t of req.inputs) refuseTensorParameters('input', t.name, t.parameters);
        const requested: string[] = [];
        for (const o of req.outputs) {
          checkClientString('output name', o.name);
          refuseTensorParameters('output', o.name, o.parameters);
          if (!requested.includes(o.name)) requested.push(o.name);
        }
        const { inputs, raw } = decodeInputs(req);
        const ans = await deps.predictor.predict({
          model: req.modelName, version: req.modelVersion || undefined, variant: options.variant, inputs, outputs: requested,
          cache: options.cache, deadline: ctx.deadline, signal: ctx.signal, requestId: ctx.requestId,
        });
        // Outputs in the order asked for, else every output sorted by name (the predictor's order, as Predict).
        const order = requested.length > 0 ? requested : Object.keys(ans.outputs);
        const encoded = encodeOutputs(order.map((n) => [n, ans.outputs[n] as HostTensor] as const), options.rawOutput ?? raw);
        return {
          modelName: ans.model, modelVersion: ans.version, id: req.id,
          parameters: responseParameters({ ...ans, totalUs: (performance.now() - ctx.start) * 1000 }),
          outputs: encoded.outputs, rawOutputContents: encoded.rawOutputContents,
        };
      },
    }),

    RepositoryIndex: unaryCall<{ repositoryName: string; ready: boolean }>('RepositoryIndex', ({ request }) => repo.index(request)),
    RepositoryModelLoad: unaryCall<{ repositoryName: string; modelName: string; parameters: Record<string, unknown> }>('RepositoryModelLoad', ({ request, metadata }) => repo.load(request, metadata)),
    RepositoryModelUnload: unaryCall<{ repositoryName: string; modelName: string; parameters: Record<string, unknown> }>('RepositoryModelUnload', ({ request, metadata }) => repo.unload(request, metadata)),
  };
}
