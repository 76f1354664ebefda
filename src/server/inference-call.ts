/**
 * The lifecycle every inference RPC shares (hub.inference.v1 Predict and OIP ModelInfer): the request id, the
 * per-model request metrics, refusal while draining, cancellation when the client goes, tracking for graceful
 * shutdown, and one error path (toGrpcStatus, logging what is the server's fault). Each protocol supplies only
 * how to read its request and build its answer.
 */
import { performance } from 'node:perf_hooks';
import type { HotIncrementer, HotObserver } from '../metrics/hot-metrics.js';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { InferenceError } from '../errors/index.js';
import { moduleLogger } from '../logging/logger.js';
import { metrics } from '../metrics/metrics.js';
import { Cancellation, type CancelSignal } from '../batching/cancel-signal.js';
import { toGrpcStatus } from './grpc-status.js';
import { MAX_REQUEST_ID_CHARS } from './request-limits.js';

const log = moduleLogger('server');

/** What the shared lifecycle needs from the composition root. */
export interface CallDeps {
  /** Whether a model name is served (metrics label unknown names as `_unknown`, so a client cannot mint series). */
  readonly knownModel: (name: string) => boolean;
  /** True once shutdown began: new calls get UNAVAILABLE. */
  readonly isDraining: () => boolean;
  /** Tracks calls in flight so shutdown can wait for them. */
  readonly track: <T>(p: Promise<T>) => Promise<T>;
}

/** What a protocol's handler gets for one call. */
export interface CallContext {
  /** performance.now() when the call reached the handler. */
  readonly start: number;
  readonly requestId: string;
  /** Absolute deadline (ms since the epoch) the client set, if any. */
  readonly deadline: number | undefined;
  /** Aborts when the client cancels the call before it is answered. */
  readonly signal: CancelSignal;
}

/** How one protocol reads its request. */
export interface InferenceRpc<Req> {
  /** The model the request names. */
  readonly model: (req: Req) => string;
  /** The request id field (empty: the `x-request-id` metadata is used). */
  readonly requestId: (req: Req) => string;
  /** Validates, predicts and builds the answer. */
  readonly run: (req: Req, ctx: CallContext) => Promise<unknown>;
}

/** Answers a failed call: the status from the one mapping, and a log line when the fault is the server's. */
export function failCall(cb: sendUnaryData<unknown>, err: unknown, ctx: Record<string, unknown>): void {
  if (!(err instanceof InferenceError)) log.error({ ...ctx, err }, 'unexpected error');
  else if (err.code === 'ENGINE_FAILURE' || err.code === 'WORKER_CRASHED') log.error({ ...ctx, code: err.code, err: err.message }, 'request failed');
  cb(toGrpcStatus(err));
}

/** The client's deadline as ms since the epoch, if it set one. */
export function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** One handler shape for the small RPCs: a result is the answer, a throw (sync or async) goes through failCall. */
export function unaryCall<Req>(rpc: string, fn: (call: ServerUnaryCall<Req, unknown>) => unknown) {
  return (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>): void => {
    Promise.resolve().then(() => fn(call)).then((res) => callback(null, res), (e: unknown) => failCall(callback, e, { rpc }));
  };
}

interface ModelSeries { readonly duration: HotObserver; readonly codes: Map<string, HotIncrementer> }

/**
 * A call's cancellation, listening to grpc-js's 'cancelled' only from the first time something waits on it (a
 * queued request, a shared row). A request that runs at once on an idle engine never does, and its call is
 * spared the listener (at one lead-intent caller every step on the per-call path runs on caches the ~2.5 ms
 * run has just emptied). `aborted` reads the call's own flag until then. grpc-js also emits 'cancelled' when a
 * finished call's stream closes: only a call still running (`running()`) is cancelled.
 */
export class CallCancellation extends Cancellation {
  readonly #call: ServerUnaryCall<unknown, unknown>;
  readonly #running: () => boolean;
  #hooked = false;

  constructor(call: ServerUnaryCall<unknown, unknown>, running: () => boolean) {
    super();
    this.#call = call;
    this.#running = running;
  }

  override get aborted(): boolean {
    if (!super.aborted && !this.#hooked && this.#call.cancelled && this.#running()) this.cancel();
    return super.aborted;
  }

  override addEventListener(type: 'abort', listener: () => void): void {
    if (!this.#hooked) {
      this.#hooked = true;
      this.#call.on('cancelled', () => { if (this.#running()) this.cancel(); });
      if (this.#call.cancelled && this.#running()) this.cancel();
    }
    super.addEventListener(type, listener);
  }
}

/** Builds an inference RPC handler over the shared lifecycle. */
export function inferenceCall<Req>(deps: CallDeps, rpc: InferenceRpc<Req>) {
  // Metric series bound once per model label (a label lookup per observation costs more than the observation).
  const series = new Map<string, ModelSeries>();
  const seriesOf = (label: string): ModelSeries => {
    let s = series.get(label);
    if (!s) { s = { duration: metrics.requestDuration.labels({ model: label }), codes: new Map() }; series.set(label, s); }
    return s;
  };
  return (call: ServerUnaryCall<Req, unknown>, callback: sendUnaryData<unknown>): void => {
    const start = performance.now();
    const req = call.request;
    const rawId = rpc.requestId(req) || call.metadata.get('x-request-id')[0];
    const requestId = typeof rawId === 'string' ? rawId : '';
    // Logged only when short: a client cannot write a megabyte into every log line.
    const logId = requestId.length <= MAX_REQUEST_ID_CHARS ? requestId : `${requestId.slice(0, 32)}…(${requestId.length} chars)`;
    const name = rpc.model(req);
    const modelLabel = deps.knownModel(name) ? name : '_unknown';
    const done = (code: string): void => {
      const s = seriesOf(modelLabel);
      let c = s.codes.get(code);
      if (!c) { c = metrics.requests.hot({ model: modelLabel, code }); s.codes.set(code, c); }
      c.inc();
      s.duration.observe((performance.now() - start) / 1000);
    };
    if (deps.isDraining()) {
      done('SHUTTING_DOWN');
      failCall(callback, new InferenceError('SHUTTING_DOWN', 'server is shutting down; retry on another replica'), { requestId: logId });
      return;
    }
    let answered = false;
    const cancellation = new CallCancellation(call as ServerUnaryCall<unknown, unknown>, () => !answered);
    const ctx: CallContext = { start, requestId, deadline: deadlineOf(call), signal: cancellation };
    // run() starts at once (no extra turn of the event loop); a synchronous throw becomes this call's error.
    let work: Promise<unknown>;
    try { work = rpc.run(req, ctx); } catch (e) { work = Promise.reject(e); }
    void deps.track(work).then(
      (res) => { answered = true; done('OK'); callback(null, res); },
      (err: unknown) => {
        answered = true;
        done(err instanceof InferenceError ? err.code : 'INTERNAL');
        failCall(callback, err, { requestId: logId, model: modelLabel });
      },
    );
  };
}
