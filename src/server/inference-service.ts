/**
 * The gRPC handlers of hub.inference.v1.InferenceService. Decode and validate on the main thread, hand
 * the call to the predictor, encode the answer. Errors go through toGrpcStatus, the one mapping.
 */
import { performance } from 'node:perf_hooks';
import type { UntypedServiceImplementation, Metadata } from '@grpc/grpc-js';
import { InferenceError } from '../errors/index.js';
import { inferenceCall, unaryCall } from './inference-call.js';
import { checkAdminAccess } from './admin-access.js';
import type { PredictRequest__Output } from '../proto/generated/hub/inference/v1/PredictRequest.js';
import { moduleLogger } from '../logging/logger.js';
import type { HostTensor } from '../tensor/tensor.js';
import type { Predictor } from '../predict/predictor.js';
import type { ModelRepository } from '../repository/model-repository.js';
import { decodeTensor, dtypeEnum, encodeTensor } from './tensor-codec.js';
import { CACHE_FROM_ENUM, VARIANT_FROM_ENUM, VARIANT_TO_ENUM } from '../proto/enums.js';
import { checkClientString, MAX_REQUEST_ID_CHARS } from './request-limits.js';

const log = moduleLogger('server');



/** The model/version pair GetModelMetadata, LoadModel and UnloadModel take. */
interface ModelRequest { model: string; version: string }

/** What the handlers need. */
export interface InferenceServiceDeps {
  readonly predictor: Predictor;
  readonly repository: ModelRepository;
  /** When set, LoadModel/UnloadModel need `authorization: Bearer <token>`. */
  readonly adminToken: string | undefined;
  /** Without a token, whether the admin RPCs are open (only when the server listens on loopback). */
  readonly adminWithoutToken: boolean;
  /** True once shutdown began: new calls get UNAVAILABLE. */
  readonly isDraining: () => boolean;
  /** Tracks calls in flight so shutdown can wait for them. */
  readonly track: <T>(p: Promise<T>) => Promise<T>;
}

/** Builds the service implementation. */
export function createInferenceService(deps: InferenceServiceDeps): UntypedServiceImplementation {
  const callDeps = { knownModel: (m: string) => deps.repository.has(m), isDraining: deps.isDraining, track: deps.track };
  /** An admin request: the token first, then its names. */
  const admin = (request: ModelRequest, md: Metadata): ModelRequest => {
    checkAdminAccess(deps, md);
    checkClientString('model', request.model);
    checkClientString('version', request.version);
    return request;
  };

  return {
    Predict: inferenceCall<PredictRequest__Output>(callDeps, {
      model: (req) => req.model,
      requestId: (req) => req.requestId,
      run: async (req, ctx) => {
        checkClientString('model', req.model);
        checkClientString('version', req.version);
        checkClientString('request_id', ctx.requestId, MAX_REQUEST_ID_CHARS);
        const variant = VARIANT_FROM_ENUM[req.variant];
        if (!variant) throw new InferenceError('INVALID_REQUEST', `unknown variant ${String(req.variant).slice(0, 32)}; use one of ${Object.keys(VARIANT_FROM_ENUM).join(', ')}`);
        const cache = CACHE_FROM_ENUM[req.cache];
        if (!cache) throw new InferenceError('INVALID_REQUEST', `unknown cache policy ${String(req.cache).slice(0, 32)}; use one of ${Object.keys(CACHE_FROM_ENUM).join(', ')}`);
        for (const o of req.outputs) checkClientString('output name', o);
        const inputs: Record<string, HostTensor> = {};
        for (const t of req.inputs) {
          checkClientString('input name', t.name);
          if (inputs[t.name]) throw new InferenceError('INVALID_INPUT', `input "${t.name}" is given twice`);
          inputs[t.name] = decodeTensor(t);
        }
        const ans = await deps.predictor.predict({
          model: req.model, version: req.version || undefined, variant, inputs, outputs: req.outputs, cache,
          deadline: ctx.deadline, signal: ctx.signal, requestId: ctx.requestId,
        });
        const outputs = Object.entries(ans.outputs).map(([n, t]) => encodeTensor(n, t, req.typedOutputs));
        return {
          model: ans.model, version: ans.version, variant: VARIANT_TO_ENUM[ans.variant], outputs, cachedRows: ans.cachedRows,
          requestId: ctx.requestId,
          timing: { queueUs: ans.queueUs, computeUs: ans.computeUs, batchSize: ans.batchSize, totalUs: Math.round((performance.now() - ctx.start) * 1000) },
        };
      },
    }),

    ListModels: unaryCall('ListModels', async () => ({
      models: deps.repository.list().map((m) => ({
        name: m.name, versions: m.versions, latestVersion: m.latestVersion, ready: m.ready, state: m.state,
        error: m.error ?? '', variants: m.variants.map((v) => VARIANT_TO_ENUM[v]), configSource: m.configSource,
        residencyReason: m.residency?.reason ?? '', predictedDemand: m.residency?.predictedPerHour ?? 0,
        residentBytes: String(m.residency?.residentBytes ?? 0), pinned: m.residency?.pinned ?? false,
        coldStarts: String(m.residency?.coldStarts ?? 0),
      })),
    })),

    GetModelMetadata: unaryCall<ModelRequest>('GetModelMetadata', async ({ request }) => {
      checkClientString('model', request.model);
      checkClientString('version', request.version);
      const d = deps.repository.details(request.model, request.version || undefined);
      const tm = (s: { name: string; dtype: HostTensor['dtype']; shape: readonly number[] }): unknown => ({ name: s.name, dtype: dtypeEnum(s.dtype), shape: s.shape });
      return {
        name: d.name, version: d.version, versions: d.versions, variants: d.variants.map((v) => VARIANT_TO_ENUM[v]),
        inputs: d.config.inputs.map(tm), outputs: d.config.outputs.map(tm), maxBatchSize: d.config.maxBatchSize,
        ready: d.ready, state: d.state, defaultVariant: VARIANT_TO_ENUM[d.defaultVariant], platform: 'onnxruntime',
        executionProvider: d.provider, configSource: d.configSource,
        inputRanges: Object.entries(d.ranges).map(([input, r]) => ({ input, min: String(r.min), max: String(r.max), source: r.source })),
        dispatchPaths: d.dispatch,
        profiles: (d.profile?.variants ?? []).map((p) => ({
          variant: VARIANT_TO_ENUM[p.variant], bestBatchSize: p.bestBatch, bestRowsPerSecond: p.bestRowsPerSecond, batchCap: p.batchCap,
          dispatchPath: d.dispatch[p.variant] ?? '',
          points: p.points.map((x) => ({ batchSize: x.batch, medianUs: x.medianUs, rowsPerSecond: x.rowsPerSecond, wideMedianUs: x.wideMedianUs ?? 0 })),
        })),
        autoVariantReason: d.profile?.autoReason ?? '', warmupMs: d.profile?.warmupMs ?? 0, graphRewrites: d.rewrites,
      };
    }),

    LoadModel: unaryCall<ModelRequest>('LoadModel', async ({ request, metadata }) => {
      const { model, version } = admin(request, metadata);
      await deps.repository.reload(model, version || undefined);
      const d = deps.repository.details(model, version || undefined);
      log.info({ model, version: d.version }, 'model loaded by admin request');
      return { model, version: d.version, ready: d.ready };
    }),

    UnloadModel: unaryCall<ModelRequest>('UnloadModel', async ({ request, metadata }) => {
      const { model, version } = admin(request, metadata);
      await deps.repository.unload(model, version || undefined);
      log.info({ model }, 'model unloaded by admin request');
      return { model, version: deps.repository.details(model, version || undefined).version };
    }),
  };
}
