/**
 * The model repository: `models/<name>/config.json` plus `<version>/model.onnx` (+ `model.int8.onnx` with its
 * verification report, + `model.fp16.onnx`). It validates configs, checks each config's signature against
 * the ONNX model's own, loads variants into the engine, warms them, owns one batcher per
 * model+version+variant, and resolves AUTO to a concrete variant. One broken model never stops the others.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { InferenceError } from '../errors/index.js';
import { moduleLogger } from '../logging/logger.js';
import { metrics } from '../metrics/metrics.js';
import { DynamicBatcher, type BatchingPolicy } from '../batching/dynamic-batcher.js';
import type { BatchScheduler } from '../batching/batch-scheduler.js';
import type { ModelEngine } from '../engine/inference-engine.js';
import { warmupBatchSizes, type ModelConfig } from './model-config.js';
import { modelConfigFor, modelConfigForAsync, type ModelConfigSource } from './model-source.js';
import { compareVersions, CONFIG_FILE, VARIANT_FILES, variantFiles, type VariantFile, type VariantName } from './model-layout.js';
import { checkSignature } from './signature-check.js';
import { autoVariant, servesOn } from './variant-policy.js';
import { sampleInputs } from './sample-inputs.js';
import { profileModel, type ModelProfile } from './model-profile.js';
import { validRanges, type InputRange } from './input-ranges.js';
import { fusedVariant } from './fused-variant.js';
import type { ResidencyHooks, ResidencyInfo } from './residency-hooks.js';

const log = moduleLogger('repository');
const noop = (): void => undefined;

export type { VariantName } from './model-layout.js';
/** A requested variant. */
export type VariantRequest = 'auto' | VariantName;
/** Lifecycle of a model version. */
export type ModelState = 'UNLOADED' | 'LOADING' | 'READY' | 'FAILED';


interface VersionEntry {
  readonly version: string;
  readonly dir: string;
  state: ModelState;
  error: string | undefined;
  loading: Promise<void> | undefined;
  readonly batchers: Map<VariantName, DynamicBatcher>;
  provider: string;
  /** Valid ranges of integer inputs (config, else inferred from the graph at load). */
  ranges: Readonly<Record<string, InputRange>>;
  /** The warm-up profile of the loaded variants and the decisions taken from it. */
  profile: ModelProfile | undefined;
  /** What the server changed in a variant's graph before serving it (fused attention), or why not. */
  readonly rewrites: Map<VariantName, string>;
}

interface ModelEntry {
  readonly name: string;
  readonly dir: string;
  config: ModelConfig | undefined;
  configError: string | undefined;
  versions: Map<string, VersionEntry>;
  /** The highest version (read once: the versions of an entry never change; a reload replaces the entry). */
  latest: string | undefined;
  /** Where the config came from: `config.json`, or what auto-complete read from which ONNX file. */
  configSource: string;
}

/** What the predictor needs to run a request. */
export interface ResolvedModel {
  readonly name: string;
  readonly version: string;
  readonly variant: VariantName;
  readonly config: ModelConfig;
  readonly batcher: DynamicBatcher;
  /** Valid ranges of integer inputs; values outside are refused before queueing. */
  readonly ranges: Readonly<Record<string, InputRange>>;
  /** Microseconds this request waited for the version to load (a cold start); 0 when it was loaded. */
  readonly coldStartUs: number;
  /** Ends the request's hold on the version (residency never evicts a version with requests in flight). */
  readonly release: () => void;
}

/** A model as ListModels shows it. */
export interface ModelSummary {
  readonly name: string;
  readonly versions: readonly string[];
  readonly latestVersion: string;
  readonly ready: boolean;
  readonly state: ModelState;
  readonly error: string | undefined;
  readonly variants: readonly VariantName[];
  /** `config.json`, or what was auto-completed from which ONNX file. */
  readonly configSource: string;
  /** Why the latest version is resident or not (undefined without a residency manager). */
  readonly residency: ResidencyInfo | undefined;
}

/** A model as GetModelMetadata shows it. */
export interface ModelDetails extends ModelSummary {
  readonly version: string;
  readonly config: ModelConfig;
  readonly defaultVariant: VariantName;
  readonly provider: string;
  /** Valid ranges of integer inputs, and where each came from. */
  readonly ranges: Readonly<Record<string, InputRange>>;
  /** Where each loaded variant's batches run ('main-thread' for tiny ones, else 'workers'). */
  readonly dispatch: Readonly<Partial<Record<VariantName, string>>>;
  /** The warm-up profile, once loaded. */
  readonly profile: ModelProfile | undefined;
  /** What the server changed in each variant's graph before serving it, or why it did not. */
  readonly rewrites: Readonly<Partial<Record<VariantName, string>>>;
}

/** A model's latest version as residency ranks it (models with a valid config only). */
export interface LatestVersion {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly state: ModelState;
  readonly config: ModelConfig;
}

/** Repository settings. */
export interface ModelRepositoryOptions {
  readonly root: string;
  readonly engine: ModelEngine;
  readonly scheduler: BatchScheduler;
  /** The provider sessions are created with ('cuda' may fall back to 'cpu' per session). */
  readonly provider: 'cpu' | 'cuda';
  /** Overrides every model's batching policy (HUB_BATCHING). */
  readonly batching: BatchingPolicy | undefined;
  /** A CPU variant whose profiled batch at its cap computes within this (us) runs on the main thread; 0 never. */
  readonly inlineMaxComputeUs?: number;
  /** A lone batch whose all-core run was profiled within this (us) runs on the main thread when the engine is idle; 0 or unset never. */
  readonly idleMainMaxUs?: number;
  /**
   * Where fused FP32 files are written (fused-variant.ts): on a CPU server, a model's FP32 graph is tuned at load
   * (attention fused, SkipLayerNormFusion off) when that checks out. Unset: every model serves as it is
   * (HUB_GRAPH_TUNING=false).
   */
  readonly fusedDir?: string | undefined;
}

/** Whether a folder is shaped like a model: a config.json or at least one (version) directory. */
function isModelFolder(dir: string): boolean {
  return existsSync(path.join(dir, CONFIG_FILE)) || readdirSync(dir).some((f) => statSync(path.join(dir, f)).isDirectory());
}

/** The model repository. */
export class ModelRepository {
  readonly #o: ModelRepositoryOptions;
  readonly #models = new Map<string, ModelEntry>();
  readonly #listeners = new Set<(name: string, state: ModelState) => void>();
  #residency: ResidencyHooks | undefined;

  constructor(options: ModelRepositoryOptions) {
    this.#o = options;
  }

  /** Connects the residency manager (memory budget, usage, cold starts); set once, before serving. */
  attachResidency(hooks: ResidencyHooks): void {
    this.#residency = hooks;
  }

  /** Reads every model directory; invalid configs are recorded as FAILED models, never thrown. */
  scan(): void {
    const root = path.resolve(this.#o.root);
    if (!existsSync(root)) throw new Error(`model repository ${root} does not exist`);
    for (const name of readdirSync(root).sort()) {
      const dir = path.join(root, name);
      if (name.startsWith('.') || !statSync(dir).isDirectory() || this.#models.has(name)) continue;
      if (!isModelFolder(dir)) {
        // Not shaped like a model at all (no config.json, no version directory): said once, not listed.
        log.warn({ folder: this.#rel(dir) }, 'ignored: not a model folder (no config.json and no <version>/ directory)');
        continue;
      }
      const entry = this.#readEntry(name, dir);
      this.#models.set(name, entry);
      const v = [...entry.versions.values()];
      const fields = { model: name, versions: v.map((x) => x.version), config: entry.configSource };
      if (entry.configError) log.warn({ ...fields, error: entry.configError }, 'model found; it cannot serve');
      else log.info(fields, 'model found');
    }
  }

  /** A model directory's versions and config, for the scan at start-up. */
  #readEntry(name: string, dir: string): ModelEntry {
    const entry = this.#entryVersions(name, dir);
    return this.#withConfig(entry, () => modelConfigFor(entry.name, entry.dir, entry.latest, (f: string) => this.#rel(f)));
  }

  /** #readEntry for a reload while other models serve: an ONNX file read for auto-config is read off the event loop. */
  async #readEntryAsync(name: string, dir: string): Promise<ModelEntry> {
    const entry = this.#entryVersions(name, dir);
    const found = await modelConfigForAsync(entry.name, entry.dir, entry.latest, (f: string) => this.#rel(f)).catch((e: unknown) => e as Error);
    return this.#withConfig(entry, () => {
      if (found instanceof Error) throw found;
      return found;
    });
  }

  #entryVersions(name: string, dir: string): ModelEntry {
    const entry: ModelEntry = { name, dir, config: undefined, configError: undefined, versions: new Map(), latest: undefined, configSource: 'config.json' };
    for (const v of readdirSync(dir).sort(compareVersions)) {
      const vdir = path.join(dir, v);
      if (!statSync(vdir).isDirectory() || !existsSync(path.join(vdir, VARIANT_FILES.fp32))) continue;
      entry.versions.set(v, { version: v, dir: vdir, state: 'UNLOADED', error: undefined, loading: undefined, batchers: new Map(), provider: this.#o.provider, ranges: {}, profile: undefined, rewrites: new Map() });
    }
    entry.latest = [...entry.versions.keys()].sort(compareVersions).at(-1);
    return entry;
  }

  /** Sets the entry's config, or records why it has none (every version FAILED with that message). */
  #withConfig(entry: ModelEntry, config: () => ModelConfigSource): ModelEntry {
    try {
      const found = config();
      entry.config = found.config;
      entry.configSource = found.source;
    } catch (e) {
      entry.configError = this.#relMessage((e as Error).message);
      for (const v of entry.versions.values()) { v.state = 'FAILED'; v.error = entry.configError; }
    }
    return entry;
  }

  /** Subscribes to model state changes (health per model). */
  onStateChange(listener: (name: string, state: ModelState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #setState(name: string, v: VersionEntry, state: ModelState, error?: string): void {
    v.state = state;
    v.error = error;
    metrics.modelsLoaded.set([...this.#models.values()].reduce((n, m) => n + [...m.versions.values()].filter((x) => x.state === 'READY').reduce((k, x) => k + x.batchers.size, 0), 0));
    for (const l of this.#listeners) l(name, state);
  }

  /** Whether the repository has a model of this name (no array built: the per-call metrics label uses it). */
  has(name: string): boolean {
    return this.#models.has(name);
  }

  /** Model names. */
  names(): string[] {
    return [...this.#models.keys()];
  }

  #model(name: string): ModelEntry {
    const m = this.#models.get(name);
    if (!m) throw new InferenceError('MODEL_NOT_FOUND', `model "${name}" not found; available models: ${this.names().join(', ') || '(none)'}`);
    return m;
  }

  #version(m: ModelEntry, version: string | undefined): VersionEntry {
    if (m.versions.size === 0) throw new InferenceError('MODEL_NOT_READY', `model "${m.name}" has no version directory with a model.onnx${m.configError ? `; ${m.configError}` : ''}`);
    const key = version || m.latest as string;
    const v = m.versions.get(key);
    if (!v) throw new InferenceError('VERSION_NOT_FOUND', `model "${m.name}" has no version "${version}"; versions: ${[...m.versions.keys()].join(', ')}`);
    return v;
  }

  /** The variants this server would load for a version on its provider. */
  #variantsToLoad(v: VersionEntry): VariantFile[] {
    return variantFiles(v.dir).filter((f) => f.usable && servesOn(f.variant, this.#o.provider));
  }

  /** Loads (or returns the in-progress load of) a model version: engine sessions, signature check, warm-up. */
  load(name: string, version?: string): Promise<void> {
    const m = this.#model(name);
    const v = this.#version(m, version);
    if (m.configError || !m.config) return Promise.reject(new InferenceError('MODEL_NOT_READY', `model "${name}" cannot load: ${m.configError}`));
    if (v.state === 'READY') return Promise.resolve();
    if (v.loading) return v.loading;
    const cfg = m.config;
    v.loading = this.#admitted(m.name, v, () => this.#doLoad(m.name, cfg, v)).finally(() => { v.loading = undefined; });
    return v.loading;
  }

  /** Runs a load once the residency manager admits it (it may evict others first) and reports how it went. */
  async #admitted(name: string, v: VersionEntry, doLoad: () => Promise<void>): Promise<void> {
    const done = this.#residency ? await this.#residency.admitLoad(name, v.version, v.dir) : undefined;
    try {
      await doLoad();
      done?.(true);
    } catch (e) {
      done?.(false);
      throw e;
    }
  }

  async #doLoad(name: string, cfg: ModelConfig, v: VersionEntry): Promise<void> {
    this.#setState(name, v, 'LOADING');
    const loadedKeys: string[] = [];
    try {
      v.provider = this.#o.provider;
      const fp32 = path.join(v.dir, VARIANT_FILES.fp32);
      v.ranges = await validRanges(cfg, fp32, { model: this.#rel(fp32), config: this.#rel(path.join(path.dirname(v.dir), CONFIG_FILE)) });
      // fp32 loads first and reveals the provider really in use: after a CUDA->CPU fallback INT8 becomes
      // servable and is loaded too; on a real GPU it is skipped (variant-policy.ts).
      const loaded: { variant: VariantName; key: string }[] = [];
      for (const f of variantFiles(v.dir)) {
        if (!f.usable) {
          log.warn({ model: name, version: v.version, variant: f.variant, file: this.#rel(f.path), why: f.reason }, 'variant file not served');
          continue;
        }
        if (!servesOn(f.variant, v.provider)) continue;
        const key = `${name}/${v.version}/${f.variant}`;
        const t0 = performance.now();
        const served = f.variant === 'fp32' ? await this.#fp32Spec(name, cfg, v, f.path) : { modelPath: f.path };
        const info = await this.#o.engine.load({ key, ...served });
        loadedKeys.push(key);
        checkSignature(cfg, info, this.#rel(f.path));
        v.provider = info.provider;
        metrics.modelLoadSeconds.set({ model: name, version: v.version, variant: f.variant }, (performance.now() - t0) / 1000);
        loaded.push({ variant: f.variant, key });
      }
      // Warm-up is the profile: every variant timed here, interleaved, and the serving decisions taken from it.
      const profile = await profileModel(this.#o.engine, {
        variants: loaded, sizes: warmupBatchSizes(cfg), maxBatchSize: cfg.maxBatchSize,
        sample: (rows) => sampleInputs(cfg, rows, 1000 + rows, v.ranges),
        targetP95Ms: cfg.dynamicBatching.targetP95Ms, inlineMaxComputeUs: this.#o.inlineMaxComputeUs ?? 0, idleMainMaxUs: this.#o.idleMainMaxUs,
        coldRuns: cfg.warmup.iterations, provider: v.provider, fallbackAuto: autoVariant(new Set(loaded.map((l) => l.variant)), v.provider),
      });
      for (const p of profile.variants) {
        const key = `${name}/${v.version}/${p.variant}`;
        const inline = p.inline && (await this.#o.engine.placeOnMainThread?.(key)) === true;
        this.#o.engine.useWideAt?.(key, p.points.map((x) => x.batch), p.wideAt);
        if (p.idleMainRows > 0) await this.#o.engine.placeIdleOnMainThread?.(key, p.idleMainRows);
        metrics.modelWarmupSeconds.set({ model: name, version: v.version, variant: p.variant }, profile.warmupMs / 1000);
        metrics.batchCap.set({ model: name, variant: p.variant }, p.batchCap);
        for (const x of p.points) metrics.profileRowsPerSecond.set({ model: name, variant: p.variant, batch_size: String(x.batch) }, x.rowsPerSecond);
        v.batchers.set(p.variant, new DynamicBatcher({
          key, model: name, variant: p.variant,
          policy: this.#o.batching ?? 'adaptive',
          maxBatchSize: cfg.maxBatchSize,
          batchCap: p.batchCap,
          preferredBatchSizes: cfg.dynamicBatching.preferredBatchSizes,
          maxQueueDelayMs: cfg.dynamicBatching.maxQueueDelayMs,
          maxQueueSize: cfg.dynamicBatching.maxQueueSize,
        }, this.#o.engine, this.#o.scheduler));
        log.info({
          model: name, version: v.version, variant: p.variant, provider: v.provider,
          profile: p.points.map((x) => `b${x.batch}:${Math.round(x.medianUs)}us=${Math.round(x.rowsPerSecond)}/s${x.wideMedianUs !== undefined ? `(wide ${Math.round(x.wideMedianUs)}us; fastest ${Math.round(x.wideMinUs ?? 0)} vs ${Math.round(x.minUs)}us)` : ''}`).join(' '),
          batchCap: p.batchCap, dispatch: this.#o.engine.dispatchPath(key), inline,
        }, 'model variant ready');
      }
      v.profile = profile;
      log.info({ model: name, version: v.version, auto: profile.auto, why: profile.autoReason, warmupMs: profile.warmupMs, rounds: profile.rounds }, 'warm-up profile: AUTO decided');
      this.#setState(name, v, 'READY');
    } catch (e) {
      for (const b of v.batchers.values()) b.close();
      v.batchers.clear();
      for (const k of loadedKeys) await this.#o.engine.unload(k).catch(() => undefined);
      const msg = this.#relMessage((e as Error).message);
      log.error({ model: name, version: v.version, err: msg }, 'model failed to load');
      this.#setState(name, v, 'FAILED', msg);
      throw new InferenceError('MODEL_NOT_READY', `model "${name}" version ${v.version} failed to load: ${msg}`);
    }
  }

  /**
   * How to load the FP32 variant: on a CPU server that tunes graphs, the file and ONNX Runtime optimizers measured
   * fastest among those that answer the same (fused-variant.ts: attention fused, SkipLayerNormFusion off);
   * otherwise the model's own file. What was decided and measured is logged and shown in GetModelMetadata
   * (graph_rewrites).
   */
  async #fp32Spec(name: string, cfg: ModelConfig, v: VersionEntry, file: string): Promise<{ modelPath: string; disabledOptimizers?: readonly string[] }> {
    v.rewrites.delete('fp32');
    if (!this.#o.fusedDir || this.#o.provider !== 'cpu') return { modelPath: file };
    const samples = [...new Set([1, Math.min(8, cfg.maxBatchSize)])].map((rows) => sampleInputs(cfg, rows, 2000 + rows, v.ranges));
    const tuned = await fusedVariant(file, samples, this.#o.fusedDir)
      .catch((e: unknown) => ({ path: file, blocks: 0, disabledOptimizers: [], summary: `as it is (the check failed: ${this.#relMessage((e as Error).message)})` }));
    if (tuned.summary === undefined) return { modelPath: file };
    v.rewrites.set('fp32', tuned.summary);
    metrics.fusedAttentionBlocks.set({ model: name, version: v.version }, tuned.blocks);
    log.info({ model: name, version: v.version, variant: 'fp32', fusedBlocks: tuned.blocks, disabledOptimizers: tuned.disabledOptimizers, graph: tuned.summary }, 'FP32 graph chosen');
    return { modelPath: tuned.path, disabledOptimizers: tuned.disabledOptimizers };
  }

  /** A path as messages show it: relative to the model repository, never absolute. */
  #rel(file: string): string {
    return path.relative(path.resolve(this.#o.root), file) || '.';
  }

  /**
   * A message from code that names files by the paths it was given (ONNX Runtime's "Load model from <path>
   * failed", fs errors), made repository-relative like the repository's own messages.
   */
  #relMessage(message: string): string {
    return message.split(path.resolve(this.#o.root) + path.sep).join('');
  }

  /** Unloads a model version: queued requests finish first. */
  async unload(name: string, version?: string): Promise<void> {
    const m = this.#model(name);
    const v = this.#version(m, version);
    if (v.loading) await v.loading.catch(() => undefined);
    const batchers = [...v.batchers.entries()];
    v.batchers.clear();
    v.profile = undefined;
    this.#setState(name, v, m.configError ? 'FAILED' : 'UNLOADED', m.configError);
    for (const [variant, b] of batchers) {
      await b.drain();
      b.close();
      await this.#o.engine.unload(`${name}/${v.version}/${variant}`);
    }
    this.#residency?.unloaded(name, v.version);
  }

  /** Re-reads a model's config from disk (admin LoadModel), then loads it. */
  async reload(name: string, version?: string): Promise<void> {
    const existing = this.#models.get(name);
    // Read the model's directory afresh first: an unknown model or version is refused while the loaded one
    // keeps serving.
    const dir = path.join(path.resolve(this.#o.root), name);
    // Only a folder directly under the root, as scan() would list it: "../x" or "" must not reach outside.
    const plainName = name !== '' && !name.startsWith('.') && path.basename(name) === name && !name.includes('\\');
    if (!plainName || !existsSync(dir) || !statSync(dir).isDirectory() || !isModelFolder(dir)) {
      throw new InferenceError('MODEL_NOT_FOUND', `model "${name}" not found in the repository; available models: ${this.names().join(', ') || '(none)'}`);
    }
    const fresh = await this.#readEntryAsync(name, dir);
    if (version && !fresh.versions.has(version)) {
      throw new InferenceError('VERSION_NOT_FOUND', `model "${name}" has no version "${version}" in the repository; versions: ${[...fresh.versions.keys()].join(', ') || '(none)'}`);
    }
    if (existing) {
      for (const v of existing.versions.keys()) await this.unload(name, v).catch(() => undefined);
    }
    // The entry read above replaces the old one: the directory is not read a second time.
    this.#models.set(name, fresh);
    await this.load(name, version);
  }

  /**
   * Finds the batcher for a request, with a residency lease the caller releases when it is answered. A READY
   * version answers directly, without a promise (the per-call path of a loaded model stays synchronous); one
   * that must load first answers with a promise, and the load is the request's cold start.
   */
  resolve(name: string, version: string | undefined, requested: VariantRequest): ResolvedModel | Promise<ResolvedModel> {
    const m = this.#model(name);
    const v = this.#version(m, version);
    const cfg = m.config;
    if (m.configError || !cfg) throw new InferenceError('MODEL_NOT_READY', `model "${name}" is not serving: ${m.configError}`);
    if (v.state === 'FAILED') throw new InferenceError('MODEL_NOT_READY', `model "${name}" version ${v.version} failed to load: ${v.error}`);
    // Held from before a cold load starts, so that eviction never picks a version a request is waiting for.
    const release = this.#residency?.acquire(name, v.version) ?? noop;
    if (v.state === 'READY') {
      try {
        return this.#bind(m, cfg, v, requested, 0, release);
      } catch (e) {
        release();
        throw e;
      }
    }
    return (async () => {
      try {
        const t0 = performance.now();
        this.#residency?.coldStart(name, v.version);
        await this.load(name, v.version);
        return this.#bind(m, cfg, v, requested, Math.round((performance.now() - t0) * 1000), release);
      } catch (e) {
        release();
        throw e;
      }
    })();
  }

  /** The resolved model of a loaded version: its variant for this request and that variant's batcher. */
  #bind(m: ModelEntry, cfg: ModelConfig, v: VersionEntry, requested: VariantRequest, coldStartUs: number, release: () => void): ResolvedModel {
    const variant = this.#pickVariant(m.name, cfg, v, requested);
    const batcher = v.batchers.get(variant);
    if (!batcher) throw new InferenceError('MODEL_NOT_READY', `model "${m.name}" version ${v.version} is unloading`);
    return { name: m.name, version: v.version, variant, config: cfg, batcher, ranges: v.ranges, coldStartUs, release };
  }

  #pickVariant(name: string, cfg: ModelConfig, v: VersionEntry, requested: VariantRequest): VariantName {
    const loaded = v.batchers;
    const want = requested === 'auto' ? cfg.variants.default : requested;
    if (want === 'auto') return v.profile && loaded.has(v.profile.auto) ? v.profile.auto : autoVariant(loaded, v.provider);
    if (loaded.has(want)) return want;
    const file = variantFiles(v.dir).find((f) => f.variant === want);
    const why = !file ? `there is no ${VARIANT_FILES[want]}`
      : !file.usable ? (file.reason ?? 'it is not usable')
      : `it does not run on the ${this.#o.provider} provider`;
    throw new InferenceError('VARIANT_NOT_AVAILABLE', `model "${name}" version ${v.version} has no ${want.toUpperCase()} variant to serve: ${why}; loaded: ${[...loaded.keys()].join(', ')}`);
  }

  /** Every servable model's latest version, its directory, state and config (the residency manager's view). */
  latestVersions(): LatestVersion[] {
    const out: LatestVersion[] = [];
    for (const m of this.#models.values()) {
      const latest = [...m.versions.keys()].sort(compareVersions).at(-1);
      const v = latest === undefined ? undefined : m.versions.get(latest);
      if (v && m.config) out.push({ name: m.name, version: v.version, dir: v.dir, state: v.state, config: m.config });
    }
    return out;
  }

  /** Summaries for ListModels. */
  list(): ModelSummary[] {
    return [...this.#models.values()].map((m) => this.#summary(m));
  }

  #summary(m: ModelEntry): ModelSummary {
    const versions = [...m.versions.keys()].sort(compareVersions);
    const latest = versions.at(-1) ?? '';
    const v = m.versions.get(latest);
    return {
      name: m.name, versions, latestVersion: latest,
      ready: v?.state === 'READY',
      state: v?.state ?? 'FAILED',
      error: v?.error ?? m.configError ?? (v ? undefined : 'no version directory with a model.onnx'),
      variants: v ? (v.state === 'READY' ? [...v.batchers.keys()] : this.#variantsToLoad(v).map((f) => f.variant)) : [],
      configSource: m.configSource,
      residency: v && this.#residency ? this.#residency.describe(m.name, v.version, m.config?.preload.pin ?? false) : undefined,
    };
  }

  /** Details for GetModelMetadata. */
  details(name: string, version?: string): ModelDetails {
    const m = this.#model(name);
    const v = this.#version(m, version);
    if (!m.config) throw new InferenceError('MODEL_NOT_READY', `model "${name}" has an invalid config: ${m.configError}`);
    const s = this.#summary(m);
    let defaultVariant: VariantName = 'fp32';
    try { defaultVariant = this.#pickVariant(name, m.config, v, 'auto'); } catch { /* not loaded yet */ }
    const dispatch: Partial<Record<VariantName, string>> = {};
    for (const variant of v.batchers.keys()) dispatch[variant] = this.#o.engine.dispatchPath(`${name}/${v.version}/${variant}`);
    return { ...s, version: v.version, ready: v.state === 'READY', state: v.state, error: v.error, config: m.config, defaultVariant, provider: v.provider, ranges: v.ranges, dispatch, profile: v.profile, rewrites: Object.fromEntries(v.rewrites) };
  }

  /** Finishes every queued and in-flight batch (graceful shutdown). */
  async drain(): Promise<void> {
    const all: Promise<void>[] = [];
    for (const m of this.#models.values()) for (const v of m.versions.values()) for (const b of v.batchers.values()) all.push(b.drain());
    await Promise.all(all);
  }
}
