/**
 * The predict path behind the transport: resolve the model, validate, answer cached rows, share identical
 * in-flight rows (single-flight), batch the rest, store what came back. It knows nothing of gRPC.
 */
import { InferenceError } from '../errors/index.js';
import { moduleLogger } from '../logging/logger.js';
import { metrics } from '../metrics/metrics.js';
import { concatRows, sliceRows, type HostTensor, type NamedTensors } from '../tensor/tensor.js';
import type { CachedRow, PredictionCache, RowCacheOptions } from '../cache/prediction-cache.js';
import type { BatchResult } from '../batching/dynamic-batcher.js';
import type { ModelRepository, VariantName, VariantRequest } from '../repository/model-repository.js';
import { resolveOutputs, validateInputs } from './validate-inputs.js';

const log = moduleLogger('predictor');

/** A prediction request, transport-independent. */
export interface PredictCall {
  readonly model: string;
  readonly version?: string | undefined;
  readonly variant: VariantRequest;
  readonly inputs: NamedTensors;
  readonly outputs: readonly string[];
  readonly cache: 'default' | 'bypass' | 'refresh';
  readonly deadline?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly requestId?: string | undefined;
}

/** A prediction answer. */
export interface PredictAnswer {
  readonly model: string;
  readonly version: string;
  readonly variant: VariantName;
  readonly outputs: Readonly<Record<string, HostTensor>>;
  readonly queueUs: number;
  readonly computeUs: number;
  readonly batchSize: number;
  readonly cachedRows: number;
}

interface Timing { queueUs: number; computeUs: number; batchSize: number }

/** Runs predictions through cache, single-flight and batcher. */
export class Predictor {
  readonly #repo: ModelRepository;
  readonly #cache: PredictionCache | undefined;
  readonly #inflight = new Map<string, Promise<{ row: CachedRow; timing: Timing }>>();

  constructor(repo: ModelRepository, cache: PredictionCache | undefined) {
    this.#repo = repo;
    this.#cache = cache;
  }

  /** Rows currently being computed for single-flight (tests and metrics). */
  get inflightRows(): number {
    return this.#inflight.size;
  }

  /** Answers one request. */
  async predict(call: PredictCall): Promise<PredictAnswer> {
    if (!call.model) throw new InferenceError('INVALID_REQUEST', 'field "model" is required');
    const resolved = await this.#repo.resolve(call.model, call.version, call.variant);
    const cfg = resolved.config;
    const rows = validateInputs(cfg, call.inputs);
    const outputNames = resolveOutputs(cfg, call.outputs);
    const deadline = call.deadline ?? (cfg.dynamicBatching.defaultTimeoutMs > 0 ? Date.now() + cfg.dynamicBatching.defaultTimeoutMs : undefined);
    const submit = (inputs: NamedTensors, n: number): Promise<BatchResult> =>
      resolved.batcher.submit({ inputs, rows: n, deadline, signal: call.signal });
    const base = { model: resolved.name, version: resolved.version, variant: resolved.variant };

    const cache = this.#cache;
    if (!cache || !cfg.cache.enabled || call.cache === 'bypass') {
      const r = await submit(call.inputs, rows);
      return { ...base, outputs: pick(r.outputs, outputNames), queueUs: r.queueUs, computeUs: r.computeUs, batchSize: r.batchSize, cachedRows: 0 };
    }

    const opts: RowCacheOptions = { ttlSeconds: cfg.cache.ttlSeconds, policy: call.cache === 'refresh' ? 'refresh' : 'default' };
    const keys = cache.rowKeys({ model: resolved.name, version: resolved.version, variant: resolved.variant, outputs: outputNames }, call.inputs, rows);
    const hits: (CachedRow | undefined)[] = opts.policy === 'refresh' ? new Array<CachedRow | undefined>(rows).fill(undefined) : await cache.getRows(resolved.name, keys, opts);

    const rowsOut: (CachedRow | undefined)[] = [...hits];
    const waits: Promise<void>[] = [];
    const owned: number[] = [];
    const timing: Timing = { queueUs: 0, computeUs: 0, batchSize: 0 };
    const merge = (t: Timing): void => {
      timing.queueUs = Math.max(timing.queueUs, t.queueUs);
      timing.computeUs = Math.max(timing.computeUs, t.computeUs);
      timing.batchSize = Math.max(timing.batchSize, t.batchSize);
    };
    const ownedInRequest = new Map<string, number>();
    for (let i = 0; i < rows; i++) {
      if (rowsOut[i]) continue;
      const key = keys[i] as string;
      const shared = this.#inflight.get(key);
      if (shared && opts.policy === 'default') {
        metrics.singleFlightShared.inc({ model: resolved.name });
        waits.push(shared.then((s) => { rowsOut[i] = s.row; merge(s.timing); }));
        continue;
      }
      const dup = ownedInRequest.get(key);
      if (dup !== undefined) { waits.push(Promise.resolve().then(() => this.#inflight.get(key)!.then((s) => { rowsOut[i] = s.row; merge(s.timing); }))); continue; }
      ownedInRequest.set(key, i);
      owned.push(i);
    }

    if (owned.length > 0) {
      const settlers = new Map<string, { resolve: (v: { row: CachedRow; timing: Timing }) => void; reject: (e: Error) => void }>();
      for (const i of owned) {
        const key = keys[i] as string;
        const p = new Promise<{ row: CachedRow; timing: Timing }>((resolve, reject) => settlers.set(key, { resolve, reject }));
        p.catch(() => undefined); // waiters handle their own rejection
        this.#inflight.set(key, p);
      }
      const subInputs = owned.length === rows ? call.inputs : gatherRows(call.inputs, owned);
      try {
        const r = await submit(subInputs, owned.length);
        const t: Timing = { queueUs: r.queueUs, computeUs: r.computeUs, batchSize: r.batchSize };
        merge(t);
        const stored: { key: string; row: CachedRow }[] = [];
        owned.forEach((i, j) => {
          const row: Record<string, HostTensor> = {};
          for (const n of outputNames) row[n] = copyRow(r.outputs[n] as HostTensor, j);
          rowsOut[i] = row;
          stored.push({ key: keys[i] as string, row });
          settlers.get(keys[i] as string)?.resolve({ row, timing: t });
        });
        cache.setRows(resolved.name, stored, opts);
      } catch (e) {
        for (const s of settlers.values()) s.reject(e as Error);
        throw e;
      } finally {
        for (const i of owned) this.#inflight.delete(keys[i] as string);
      }
    }
    if (waits.length > 0) await Promise.all(waits);

    const outputs: Record<string, HostTensor> = {};
    for (const n of outputNames) outputs[n] = concatRows(rowsOut.map((r) => (r as CachedRow)[n] as HostTensor));
    const cachedRows = hits.filter((h) => h !== undefined).length;
    if (cachedRows > 0) log.debug({ model: resolved.name, cachedRows, rows, requestId: call.requestId }, 'rows answered from cache');
    return { ...base, outputs, ...timing, cachedRows };
  }
}

function pick(outputs: Readonly<Record<string, HostTensor>>, names: readonly string[]): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const n of names) {
    const t = outputs[n];
    if (!t) throw new InferenceError('ENGINE_FAILURE', `the model produced no output "${n}"`);
    out[n] = t;
  }
  return out;
}

/** One row as its own tensor with its own buffer (cache entries must not pin a whole batch's output). */
function copyRow(t: HostTensor, row: number): HostTensor {
  const s = sliceRows(t, row, 1);
  return { dtype: s.dtype, shape: s.shape, data: new Uint8Array(s.data) };
}

function gatherRows(inputs: NamedTensors, rows: readonly number[]): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [n, t] of Object.entries(inputs)) out[n] = concatRows(rows.map((r) => sliceRows(t, r, 1)));
  return out;
}
