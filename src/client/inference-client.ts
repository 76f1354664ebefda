/**
 * The hub-inference client SDK: round-robin over replicas, a few channels per replica, an in-flight limit
 * per replica with a bounded queue, a deadline on every call (queue wait and retries included), and
 * retries with exponential backoff and jitter on UNAVAILABLE only (moving to another replica when there is
 * one). Predict, ListModels, GetModelMetadata and the admin calls are idempotent, so retrying is safe.
 */
import * as grpc from '@grpc/grpc-js';
import { backoffDelayMs, retryPolicy, type RetryPolicy } from './backoff.js';
import { fromCallError, localError, type InferenceClientError } from './client-error.js';
import { inferenceStubConstructor, type InferenceStub } from './proto.js';
import { Target } from './target-pool.js';
import { decodeOutput, dtypeName, encodeInput, type DType, type InputValue, type OutputTensor, type ResponseTensor } from './tensor-encoding.js';
import { CACHE_TO_ENUM, VARIANT_TO_ENUM } from '../proto/enums.js';

/** Model variants ('auto' lets the server choose: INT8 on CPU when it passed verification, else FP32). */
export type Variant = 'auto' | 'fp32' | 'int8' | 'fp16';

/** Per-request cache policy. */
export type CachePolicy = 'default' | 'bypass' | 'refresh';

/** Options of an InferenceClient. */
export interface InferenceClientOptions {
  /** One or more replicas, host:port each. */
  readonly targets: string | readonly string[];
  /** HTTP/2 connections per replica (default 2). */
  readonly channelsPerTarget?: number;
  /** Calls in flight per replica before calls queue in the SDK (default 64). */
  readonly maxInFlightPerTarget?: number;
  /** Calls that may wait per replica; beyond it calls fail with RESOURCE_EXHAUSTED (default 1024). */
  readonly maxQueuedPerTarget?: number;
  /** Default deadline of a call, queue wait and retries included (default 10 000 ms). */
  readonly deadlineMs?: number;
  /** Retries on UNAVAILABLE (default 3 attempts, 25 ms initial backoff, 1 s max). */
  readonly retries?: Partial<RetryPolicy>;
  /** Channel credentials (default insecure). */
  readonly credentials?: grpc.ChannelCredentials;
  /** Extra grpc-js channel options. */
  readonly channelOptions?: grpc.ChannelOptions;
  /** The proto/ directory, when the SDK runs outside this repository's layout. */
  readonly protoDir?: string;
}

/** Per-call options shared by every method. */
export interface CallOptions {
  /** Overrides the client's deadline for this call. */
  readonly deadlineMs?: number;
  /** Aborting cancels the call (queued or in flight). */
  readonly signal?: AbortSignal;
  /** Extra metadata sent with the call. */
  readonly metadata?: grpc.Metadata;
}

/** A Predict request. */
export interface PredictOptions extends CallOptions {
  readonly model: string;
  /** Empty or absent = latest. */
  readonly version?: string;
  readonly variant?: Variant;
  /** Named inputs; a bare typed array is one row (shape [1, length]). */
  readonly inputs: Readonly<Record<string, InputValue>>;
  /** Outputs to return (default all). */
  readonly outputs?: readonly string[];
  readonly cache?: CachePolicy;
  readonly requestId?: string;
  /** Ask the server for typed repeated fields instead of raw bytes (slower; for debugging). */
  readonly typedOutputs?: boolean;
}

/** Server-side timing of a Predict call, in microseconds. */
export interface PredictTiming {
  readonly queueUs: number;
  readonly computeUs: number;
  /** Rows in the engine batch the request's rows ran in (0 when every row came from the cache). */
  readonly batchSize: number;
  readonly totalUs: number;
}

/** A Predict answer. */
export interface PredictResult {
  readonly outputs: Record<string, OutputTensor>;
  readonly model: string;
  readonly version: string;
  readonly variant: Variant | string;
  readonly timing: PredictTiming;
  readonly cachedRows: number;
  readonly requestId: string;
}

/** One model as ListModels reports it. */
export interface ModelSummary {
  readonly name: string;
  readonly versions: string[];
  readonly latestVersion: string;
  readonly ready: boolean;
  readonly variants: (Variant | string)[];
  readonly state: string;
  readonly error: string;
}

/** An input or output of a model signature (-1 marks a dynamic dim; dim 0 is the batch). */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: DType | string;
  readonly shape: number[];
}

/** GetModelMetadata's answer. */
export interface ModelMetadata {
  readonly name: string;
  readonly version: string;
  readonly versions: string[];
  readonly variants: (Variant | string)[];
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly maxBatchSize: number;
  readonly ready: boolean;
  readonly state: string;
  readonly defaultVariant: Variant | string;
  readonly platform: string;
  readonly executionProvider: string;
}

/** Options of the admin calls. */
export interface AdminOptions extends CallOptions {
  /** Sent as metadata `authorization: Bearer <token>`. */
  readonly adminToken?: string;
}

const VARIANT_ENUM: Readonly<Record<Variant, string>> = VARIANT_TO_ENUM;
const CACHE_ENUM: Readonly<Record<CachePolicy, string>> = CACHE_TO_ENUM;

function variantName(wire: string): Variant | string {
  return wire.startsWith('VARIANT_') ? wire.slice('VARIANT_'.length).toLowerCase() : wire;
}

function tensorSpec(t: { name: string; dtype: string; shape: (string | number)[] }): TensorSpec {
  return { name: t.name, dtype: dtypeName(t.dtype), shape: t.shape.map(Number) };
}

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${n}`);
  return n;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(timer); reject(localError(grpc.status.CANCELLED, 'cancelled during retry backoff')); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

type Method = 'Predict' | 'ListModels' | 'GetModelMetadata' | 'LoadModel' | 'UnloadModel';

/** A client of hub.inference.v1.InferenceService over one or more replicas. */
export class InferenceClient {
  readonly #targets: readonly Target[];
  readonly #deadlineMs: number;
  readonly #retry: RetryPolicy;
  readonly #open = new Set<grpc.ClientUnaryCall>();
  #cursor = 0;
  #closed = false;

  constructor(options: InferenceClientOptions) {
    const addresses = typeof options.targets === 'string' ? [options.targets] : [...options.targets];
    if (addresses.length === 0 || addresses.some((a) => typeof a !== 'string' || a.length === 0)) {
      throw new RangeError('targets must be one or more host:port strings');
    }
    const channels = positiveInt('channelsPerTarget', options.channelsPerTarget, 2);
    const maxInFlight = positiveInt('maxInFlightPerTarget', options.maxInFlightPerTarget, 64);
    const maxQueued = positiveInt('maxQueuedPerTarget', options.maxQueuedPerTarget, 1024, 0);
    this.#deadlineMs = positiveInt('deadlineMs', options.deadlineMs, 10_000);
    this.#retry = retryPolicy(options.retries);
    const Stub = inferenceStubConstructor(options.protoDir);
    const credentials = options.credentials ?? grpc.credentials.createInsecure();
    const channelOptions: grpc.ChannelOptions = {
      // Batched tensors are large; match the server's 64 MiB limits.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.keepalive_time_ms': 30_000,
      ...options.channelOptions,
      // grpc-js shares one connection among clients with equal options; a local pool gives each channel its own.
      'grpc.use_local_subchannel_pool': 1,
    };
    this.#targets = addresses.map((address) => new Target(
      address,
      Array.from({ length: channels }, () => new Stub(address, credentials, channelOptions)),
      maxInFlight,
      maxQueued,
    ));
  }

  /** The target addresses, in round-robin order. */
  get targets(): readonly string[] {
    return this.#targets.map((t) => t.address);
  }

  /** The first channel's raw grpc-js stub (tests and escape hatches; no retries or limits apply). */
  get raw(): InferenceStub {
    return (this.#targets[0] as Target).stubs[0] as InferenceStub;
  }

  /** Calls running and waiting in the SDK, per target. */
  load(): { target: string; inFlight: number; queued: number }[] {
    return this.#targets.map((t) => ({ target: t.address, inFlight: t.inFlight, queued: t.queued }));
  }

  /**
   * Next target round-robin, skipping full ones when another has a free slot; when all are full, the one
   * with the shortest queue. `avoid` (the replica that just failed) is skipped when there is another.
   */
  #pick(avoid?: Target): Target {
    const n = this.#targets.length;
    const start = this.#cursor;
    this.#cursor = (this.#cursor + 1) % n;
    const candidates: Target[] = [];
    for (let i = 0; i < n; i++) {
      const t = this.#targets[(start + i) % n] as Target;
      if (t !== avoid || n === 1) candidates.push(t);
    }
    const free = candidates.find((t) => t.hasCapacity);
    if (free) {
      this.#cursor = (this.#targets.indexOf(free) + 1) % n;
      return free;
    }
    return candidates.reduce((best, t) => (t.queued < best.queued ? t : best));
  }

  async #unary<T>(method: Method, request: unknown, opts: CallOptions): Promise<T> {
    if (this.#closed) throw localError(grpc.status.CANCELLED, 'client closed');
    const deadline = Date.now() + positiveInt('deadlineMs', opts.deadlineMs, this.#deadlineMs);
    let failed: Target | undefined;
    for (let attempt = 1; ; attempt++) {
      const target = this.#pick(failed);
      let stub: InferenceStub;
      try {
        stub = await target.acquire(deadline, opts.signal);
      } catch (e) {
        throw fromCallError(e, target.address, attempt - 1);
      }
      let err: InferenceClientError;
      try {
        return await this.#callOnce<T>(stub, method, request, deadline, opts);
      } catch (e) {
        err = fromCallError(e, target.address, attempt);
      } finally {
        target.release();
      }
      if (err.code !== grpc.status.UNAVAILABLE || attempt >= this.#retry.maxAttempts || this.#closed) throw err;
      const delay = backoffDelayMs(this.#retry, attempt);
      if (Date.now() + delay >= deadline) throw err;
      await sleep(delay, opts.signal);
      failed = target;
    }
  }

  #callOnce<T>(stub: InferenceStub, method: Method, request: unknown, deadline: number, opts: CallOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (opts.signal?.aborted) { reject(localError(grpc.status.CANCELLED, 'cancelled')); return; }
      const onAbort = (): void => call.cancel();
      const call = stub[method](request, opts.metadata ?? new grpc.Metadata(), { deadline }, (e, res) => {
        this.#open.delete(call);
        opts.signal?.removeEventListener('abort', onAbort);
        if (e) reject(e); else resolve(res as T);
      });
      this.#open.add(call);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs a model on one or more rows. */
  async predict(req: PredictOptions): Promise<PredictResult> {
    if (!req || typeof req.model !== 'string' || !req.model) throw localError(grpc.status.INVALID_ARGUMENT, 'predict needs a model name');
    if (!req.inputs || typeof req.inputs !== 'object') throw localError(grpc.status.INVALID_ARGUMENT, 'predict needs inputs');
    const variant = req.variant ?? 'auto';
    const cache = req.cache ?? 'default';
    if (!(variant in VARIANT_ENUM)) throw localError(grpc.status.INVALID_ARGUMENT, `unknown variant ${variant}; use ${Object.keys(VARIANT_ENUM).join(', ')}`);
    if (!(cache in CACHE_ENUM)) throw localError(grpc.status.INVALID_ARGUMENT, `unknown cache policy ${cache}; use ${Object.keys(CACHE_ENUM).join(', ')}`);
    const message = {
      model: req.model,
      version: req.version ?? '',
      variant: VARIANT_ENUM[variant],
      inputs: Object.entries(req.inputs).map(([name, v]) => encodeInput(name, v)),
      outputs: [...(req.outputs ?? [])],
      cache: CACHE_ENUM[cache],
      requestId: req.requestId ?? '',
      typedOutputs: req.typedOutputs ?? false,
    };
    const res = await this.#unary<{
      model: string; version: string; variant: string; outputs: ResponseTensor[]; cachedRows: number; requestId: string;
      timing: { queueUs: string; computeUs: string; batchSize: number; totalUs: string } | null;
    }>('Predict', message, req);
    const outputs: Record<string, OutputTensor> = {};
    for (const t of res.outputs) outputs[t.name] = decodeOutput(t);
    const timing = res.timing;
    return {
      outputs,
      model: res.model,
      version: res.version,
      variant: variantName(res.variant),
      timing: {
        queueUs: Number(timing?.queueUs ?? 0),
        computeUs: Number(timing?.computeUs ?? 0),
        batchSize: Number(timing?.batchSize ?? 0),
        totalUs: Number(timing?.totalUs ?? 0),
      },
      cachedRows: res.cachedRows,
      requestId: res.requestId,
    };
  }

  /** Lists the repository's models with their versions, variants and readiness. */
  async listModels(opts: CallOptions = {}): Promise<ModelSummary[]> {
    const res = await this.#unary<{ models: (Omit<ModelSummary, 'variants'> & { variants: string[] })[] }>('ListModels', {}, opts);
    return res.models.map((m) => ({
      name: m.name, versions: [...m.versions], latestVersion: m.latestVersion, ready: m.ready,
      variants: m.variants.map(variantName), state: m.state, error: m.error,
    }));
  }

  /** Describes one model (latest version when `version` is absent). */
  async getModelMetadata(model: string, version?: string, opts: CallOptions = {}): Promise<ModelMetadata> {
    type Wire = { name: string; dtype: string; shape: (string | number)[] };
    const m = await this.#unary<{
      name: string; version: string; versions: string[]; variants: string[]; inputs: Wire[]; outputs: Wire[]; maxBatchSize: number;
      ready: boolean; state: string; defaultVariant: string; platform: string; executionProvider: string;
    }>('GetModelMetadata', { model, version: version ?? '' }, opts);
    return {
      name: m.name, version: m.version, versions: [...m.versions], variants: m.variants.map(variantName),
      inputs: m.inputs.map(tensorSpec), outputs: m.outputs.map(tensorSpec), maxBatchSize: m.maxBatchSize,
      ready: m.ready, state: m.state, defaultVariant: variantName(m.defaultVariant), platform: m.platform,
      executionProvider: m.executionProvider,
    };
  }

  #adminMetadata(opts: AdminOptions): grpc.Metadata {
    const md = opts.metadata?.clone() ?? new grpc.Metadata();
    if (opts.adminToken) md.set('authorization', `Bearer ${opts.adminToken}`);
    return md;
  }

  /** Admin: loads (or reloads) a model version on one replica (round-robin); call per replica to load everywhere. */
  async loadModel(model: string, version?: string, opts: AdminOptions = {}): Promise<{ model: string; version: string; ready: boolean }> {
    return this.#unary('LoadModel', { model, version: version ?? '' }, { ...opts, metadata: this.#adminMetadata(opts) });
  }

  /** Admin: unloads a model version on one replica (round-robin). */
  async unloadModel(model: string, version?: string, opts: AdminOptions = {}): Promise<{ model: string; version: string }> {
    return this.#unary('UnloadModel', { model, version: version ?? '' }, { ...opts, metadata: this.#adminMetadata(opts) });
  }

  /** Cancels every open and queued call (they reject with CANCELLED) and closes the channels. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#targets) t.close();
    for (const call of this.#open) call.cancel();
  }
}
