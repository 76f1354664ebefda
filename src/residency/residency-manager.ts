/**
 * Decides which model versions are resident and says why. It implements the repository's ResidencyHooks:
 * - every request is counted (usage-predictor.ts) and holds its version against eviction until answered;
 * - under a budget (HUB_MODEL_MEMORY_BYTES) loads run one at a time; a load that would not fit first evicts
 *   resident versions in the policy's order (residency-policy.ts), never a pinned one and never one with
 *   requests in flight or queued (its queue is drained by the repository's unload, as UnloadModel does);
 * - at start it preloads the policy's ranking up to the budget; a periodic tick folds usage, enforces the
 *   budget and, for the predicted policy, loads models ahead of their predicted demand;
 * - usage persists to a UsageStore periodically and at close.
 * Without a budget it only counts, persists and describes: loading stays as before (preload by priority,
 * load on first use, never evict).
 */
import { statSync } from 'node:fs';
import { moduleLogger } from '../logging/logger.js';
import { metrics } from '../metrics/metrics.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { ResidencyHooks, ResidencyInfo } from '../repository/residency-hooks.js';
import { variantFiles } from '../repository/model-layout.js';
import { servesOn } from '../repository/variant-policy.js';
import type { Clock } from './clock.js';
import { MemoryBudget } from './memory-budget.js';
import { Mutex } from './mutex.js';
import { perHour, residencyPolicy, type RankedModel, type ResidencyPolicy, type ResidencyPolicyName } from './residency-policy.js';
import { bucketLabel, ModelUsage, type DemandPrediction } from './usage-predictor.js';
import type { UsageStore } from './usage-store.js';

const log = moduleLogger('residency');

/**
 * A model is loaded ahead of demand only when its profile (not its EWMA) reaches one request per clock hour:
 * a model evicted a moment ago still has a recent rate, and reloading it on that alone would churn.
 */
const MIN_AHEAD_PER_SECOND = 1 / 3600;
/**
 * A load ahead of demand evicts only versions predicted at less than this fraction of the candidate's demand:
 * two models of similar demand must not evict each other on alternate ticks.
 */
const AHEAD_EVICTION_RATIO = 0.5;
/**
 * Loads ahead of demand are paced: after one, the next waits this many times as long as it took. A load holds
 * every engine worker while it creates sessions and warms them, so the traffic already being served gets at
 * least half of the time between loads instead of one long stall (measured on the fleet trace: four loads
 * back to back slowed every model's calls for 1.4 s).
 */
const AHEAD_PACING = 1;
/** Start-up waits at most this long for the usage store (a slow Redis costs the history, not the start). */
const STORE_LOAD_TIMEOUT_MS = 3000;

/** Manager settings (from the service config). */
export interface ResidencyManagerOptions {
  readonly repository: ModelRepository;
  /** Bytes; undefined = unlimited. */
  readonly budgetBytes: number | undefined;
  readonly policy: ResidencyPolicyName;
  /** Charged bytes per byte of a variant's ONNX file (memory-budget.ts). */
  readonly memoryFactor: number;
  /** The engine's provider: which variant files a load brings in. */
  readonly provider: 'cpu' | 'cuda';
  readonly clock: Clock;
  /** Real ms between ticks. */
  readonly tickMs: number;
  /** Clock seconds a load ahead of demand looks ahead. */
  readonly leadSeconds: number;
  /** The usage EWMA's time constant, clock seconds. */
  readonly ewmaSeconds: number;
  readonly store: UsageStore | undefined;
  /** Real ms between persists. */
  readonly persistMs: number;
}

/** Residency state of one model version. */
interface VersionResidency {
  leases: number;
  coldStarts: number;
  /** A request is waiting for the current load (it was counted as a cold start). */
  coldPending: boolean;
  /** Why the manager itself started the next load (start-up, ahead of demand); undefined: a request or an admin. */
  intent: { readonly reason: string; readonly label: string } | undefined;
  /** The manager is evicting it (its unload is not an admin's). */
  evicting: string | undefined;
  /** Unloaded by an admin: not loaded ahead of demand until a request or a LoadModel brings it back. */
  held: boolean;
  reason: string;
  /** Clock ms it was last loaded. */
  loadedAt: number;
}

/** A resident or loadable model as the manager ranks it. */
interface Candidate extends RankedModel {
  readonly version: string;
  readonly dir: string;
  readonly key: string;
  readonly pinned: boolean;
  readonly state: string;
  readonly prediction: DemandPrediction;
}

/** Formats a clock time as "Tue 09:14" (the hour-of-week and minute the profile works in). */
function clockLabel(ms: number): string {
  const d = new Date(ms);
  return `${bucketLabel(((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours()).slice(0, 6)}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** The residency manager. */
export class ResidencyManager implements ResidencyHooks {
  readonly #o: ResidencyManagerOptions;
  readonly #policy: ResidencyPolicy;
  readonly #budget: MemoryBudget;
  readonly #usage = new Map<string, ModelUsage>();
  readonly #versions = new Map<string, VersionResidency>();
  readonly #lock = new Mutex();
  #tickTimer: NodeJS.Timeout | undefined;
  #persistTimer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;
  /** performance.now() before which no load ahead of demand starts (pacing). */
  #aheadNotBefore = 0;
  /** The last persist failed: said once, not every period (a read-only repository would fill the log). */
  #persistFailing = false;

  constructor(options: ResidencyManagerOptions) {
    this.#o = options;
    this.#policy = residencyPolicy(options.policy);
    this.#budget = new MemoryBudget(options.budgetBytes);
    metrics.modelMemoryBudget.set(options.budgetBytes ?? 0);
    metrics.modelMemoryUsed.set(0);
  }

  /** Whether a budget is set (without one the manager never loads or evicts by itself). */
  get active(): boolean {
    return this.#budget.limit !== undefined;
  }

  /** Bytes charged to resident versions, and the budget (undefined = unlimited). */
  memory(): { used: number; limit: number | undefined } {
    return { used: this.#budget.used, limit: this.#budget.limit };
  }

  // ---- ResidencyHooks -------------------------------------------------------------------------------

  acquire(model: string, version: string): () => void {
    this.#usageOf(model).record(this.#o.clock.now());
    const st = this.#state(model, version);
    st.leases++;
    st.held = false;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      st.leases--;
    };
  }

  coldStart(model: string, version: string): void {
    const st = this.#state(model, version);
    if (st.coldPending) return;
    st.coldPending = true;
    st.coldStarts++;
    metrics.coldStarts.inc({ model });
  }

  async admitLoad(model: string, version: string, versionDir: string): Promise<(ok: boolean) => void> {
    const key = `${model}/${version}`;
    const cost = this.#estimate(versionDir);
    // Unlimited: loads may overlap as before; the charge is still recorded so ListModels shows it.
    const unlock = this.active ? await this.#lock.acquire() : () => undefined;
    const st = this.#state(model, version);
    try {
      const why = st.intent ?? (st.coldPending ? { reason: 'loaded on demand: a request arrived while it was not loaded (cold start)', label: 'request' } : { reason: 'loaded by an admin request (LoadModel)', label: 'admin' });
      st.intent = undefined;
      if (this.active) await this.#makeRoom(cost, key, model);
      const rss0 = process.memoryUsage.rss();
      const t0 = performance.now();
      return (ok: boolean) => {
        const loadMs = performance.now() - t0;
        const rssDelta = process.memoryUsage.rss() - rss0;
        const wasCold = st.coldPending;
        st.coldPending = false;
        if (ok) {
          this.#budget.charge(key, cost);
          st.reason = why.reason;
          st.loadedAt = this.#o.clock.now();
          st.held = false;
          metrics.modelResidentBytes.set({ model }, cost);
          metrics.modelLoadRssDelta.set({ model }, rssDelta);
          metrics.modelMemoryUsed.set(this.#budget.used);
          metrics.residencyDecisions.inc({ action: 'load', reason: why.label });
          if (wasCold) metrics.coldStartWait.observe(loadMs / 1000);
          log.info({
            action: 'load', model, version, reason: why.reason, predictedPerHour: Number(perHour(this.#predict(model).perSecond)),
            chargedBytes: cost, rssDeltaBytes: rssDelta, usedBytes: this.#budget.used, budgetBytes: this.#budget.limit ?? null, loadMs: Math.round(loadMs),
          }, 'residency decision');
        }
        unlock();
      };
    } catch (e) {
      st.coldPending = false;
      unlock();
      throw e;
    }
  }

  unloaded(model: string, version: string): void {
    const key = `${model}/${version}`;
    this.#budget.release(key);
    metrics.modelResidentBytes.remove({ model });
    metrics.modelMemoryUsed.set(this.#budget.used);
    const st = this.#state(model, version);
    if (st.evicting !== undefined) {
      st.reason = st.evicting;
      st.evicting = undefined;
    } else {
      st.held = true;
      st.reason = 'unloaded by an admin request (UnloadModel); loaded again on the next request';
    }
  }

  describe(model: string, version: string, pinned: boolean): ResidencyInfo {
    const st = this.#versions.get(`${model}/${version}`);
    return {
      reason: st?.reason ?? 'not loaded yet',
      predictedPerHour: this.#predict(model).perSecond * 3600,
      residentBytes: this.#budget.chargeOf(`${model}/${version}`) ?? 0,
      pinned,
      coldStarts: st?.coldStarts ?? 0,
    };
  }

  // ---- start-up, ticks, persistence ----------------------------------------------------------------

  /**
   * Reads the usage history, preloads and warms the policy's top `top` models (pinned ones always) up to the
   * budget, then starts the tick and persist timers.
   */
  async start(top: number): Promise<void> {
    await this.#loadHistory();
    const now = this.#o.clock.now();
    for (const u of this.#usage.values()) u.fold(now);
    const all = this.#candidates(now).filter((c) => c.state !== 'FAILED');
    // Without a budget the start-up order stays what it always was: preload.priority.
    const order = this.active ? this.#policy.compareForPreload : residencyPolicy('static').compareForPreload;
    const ranked = [...all.filter((c) => c.pinned), ...all.filter((c) => !c.pinned).sort(order).slice(0, Math.max(0, top - all.filter((c) => c.pinned).length))];
    for (const c of ranked) {
      const cost = this.#estimate(c.dir);
      if (!c.pinned && this.#budget.shortfall(cost) > 0) {
        log.info({ model: c.name, chargedBytes: cost, usedBytes: this.#budget.used, budgetBytes: this.#budget.limit }, 'not preloaded: it does not fit in the model memory budget');
        continue;
      }
      const basis = c.pinned ? 'pinned (preload.pin)'
        : this.active && this.#policy.name === 'predicted' && c.demand > 0 ? `preloaded at start: ${this.#describePrediction(c.prediction)}`
        : `preloaded at start: preload.priority ${c.priority}${this.active && this.#policy.name === 'predicted' ? ' (no predicted demand)' : ''}`;
      await this.#loadWithIntent(c, { reason: basis, label: c.pinned ? 'pinned' : 'startup' });
    }
    this.#tickTimer = setInterval(() => { void this.tick(); }, this.#o.tickMs);
    this.#tickTimer.unref();
    if (this.#o.store) {
      this.#persistTimer = setInterval(() => { void this.persist(); }, this.#o.persistMs);
      this.#persistTimer.unref();
    }
  }

  /**
   * One tick: fold usage, export predictions, evict down to the budget if over it, and (predicted policy)
   * load models whose predicted demand is due within the lead time. Never runs twice at once.
   */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().catch((e: unknown) => log.error({ err: (e as Error).message }, 'residency tick failed')).finally(() => { this.#ticking = undefined; });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    const now = this.#o.clock.now();
    for (const name of this.#o.repository.names()) this.#usageOf(name).fold(now);
    const all = this.#candidates(now);
    for (const c of all) metrics.predictedDemand.set({ model: c.name }, c.demand * 3600);
    if (!this.active) return;
    if (this.#budget.shortfall(0) > 0) {
      const unlock = await this.#lock.acquire();
      try { await this.#makeRoom(0, undefined, undefined); } finally { unlock(); }
    }
    if (!this.#policy.loadsAhead || performance.now() < this.#aheadNotBefore) return;
    const wanted = all
      .filter((c) => c.state === 'UNLOADED' && !this.#state(c.name, c.version).held && c.prediction.profilePerSecond >= MIN_AHEAD_PER_SECOND)
      .sort((a, b) => b.demand - a.demand);
    for (const c of wanted) {
      if (this.#closed) return;
      const cost = this.#estimate(c.dir);
      const unlock = await this.#lock.acquire();
      let go: boolean;
      try {
        go = await this.#makeRoom(cost, c.key, c.name, c.demand * AHEAD_EVICTION_RATIO);
      } finally { unlock(); }
      // Nothing cheap enough to evict for it; a smaller candidate may still fit.
      if (!go) continue;
      const t0 = performance.now();
      await this.#loadWithIntent(c, { reason: `loaded ahead of predicted demand: ${this.#describePrediction(c.prediction)}`, label: 'ahead' });
      // One load ahead per tick, and a pause as long as it took before the next (see AHEAD_PACING).
      this.#aheadNotBefore = performance.now() + AHEAD_PACING * (performance.now() - t0);
      return;
    }
  }

  /** Writes every model's usage to the store (errors are logged: history is best effort). */
  async persist(): Promise<void> {
    const store = this.#o.store;
    if (!store) return;
    const now = this.#o.clock.now();
    const snaps = Object.fromEntries([...this.#usage].filter(([, u]) => u.total > 0).map(([n, u]) => [n, u.snapshot(now)]));
    try {
      await store.save(snaps);
      if (this.#persistFailing) log.info({ store: store.description }, 'model usage persisted again');
      this.#persistFailing = false;
    } catch (e) {
      if (!this.#persistFailing) log.warn({ store: store.description, err: (e as Error).message }, 'could not persist model usage (said once until it works again; set HUB_USAGE_FILE to a writable path, or off)');
      this.#persistFailing = true;
    }
  }

  /** Stops the timers, persists usage one last time and closes the store. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#tickTimer) clearInterval(this.#tickTimer);
    if (this.#persistTimer) clearInterval(this.#persistTimer);
    await this.#ticking;
    await this.persist();
    await this.#o.store?.close();
  }

  // ---- internals -----------------------------------------------------------------------------------

  /**
   * A load the manager starts, with the reason its admission will record. A failure is recorded as FAILED by
   * the repository and not thrown; an intent a joined, already running load did not use is dropped.
   */
  async #loadWithIntent(c: Candidate, intent: { readonly reason: string; readonly label: string }): Promise<void> {
    const st = this.#state(c.name, c.version);
    st.intent = intent;
    try { await this.#o.repository.load(c.name, c.version); } catch { /* recorded as FAILED; the others keep loading */ } finally { st.intent = undefined; }
  }

  async #loadHistory(): Promise<void> {
    const store = this.#o.store;
    if (!store) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${STORE_LOAD_TIMEOUT_MS} ms`)), STORE_LOAD_TIMEOUT_MS); });
      const snaps = await Promise.race([store.load(), timeout]);
      const now = this.#o.clock.now();
      const known = new Set(this.#o.repository.names());
      let restored = 0;
      for (const [name, s] of Object.entries(snaps)) {
        if (!known.has(name)) continue;
        this.#usageOf(name).restore(s, now);
        restored++;
      }
      log.info({ store: store.description, models: restored }, 'model usage history loaded');
    } catch (e) {
      log.warn({ store: store.description, err: (e as Error).message }, 'could not read model usage history: starting without it');
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  /**
   * Evicts resident versions, in the policy's order, until `cost` more bytes fit. Skips pinned versions,
   * versions with requests in flight, and `forKey`. With `maxDemand` (a load ahead of demand) only versions
   * predicted below it may go, and nothing is evicted unless enough can be: returns whether the load fits.
   * Without it (a load somebody waits for) it evicts what it can and lets the load go over the budget
   * when pinned or busy versions leave no room (the next tick or load evicts down again).
   * The caller holds the lock.
   */
  async #makeRoom(cost: number, forKey: string | undefined, forModel: string | undefined, maxDemand?: number): Promise<boolean> {
    let short = this.#budget.shortfall(cost);
    if (short <= 0) return true;
    const now = this.#o.clock.now();
    const byName = new Map(this.#candidates(now).map((c) => [c.name, c]));
    // Every resident version, older versions a request asked for by number included; they rank as their model.
    const victims = this.#budget.keys()
      .map((key) => {
        const slash = key.lastIndexOf('/');
        const model = byName.get(key.slice(0, slash));
        return model ? { ...model, key, version: key.slice(slash + 1) } : undefined;
      })
      .filter((c): c is Candidate => c !== undefined && c.key !== forKey && !c.pinned)
      .filter((c) => maxDemand === undefined || c.demand < maxDemand)
      .sort((a, b) => this.#policy.compareForEviction(a, b));
    if (maxDemand !== undefined) {
      const freeable = victims.filter((c) => (this.#versions.get(c.key)?.leases ?? 0) === 0).reduce((s, c) => s + (this.#budget.chargeOf(c.key) ?? 0), 0);
      if (freeable < short) return false;
    }
    for (const v of victims) {
      if (short <= 0) break;
      const st = this.#state(v.name, v.version);
      // Checked right before the unload starts, with no await in between: a request that resolves this
      // version from now on finds it unloading and waits for a fresh load instead of failing.
      if (st.leases > 0) continue;
      const charged = this.#budget.chargeOf(v.key) ?? 0;
      const why = `${this.#policy.evictionReason(v)}${forModel ? `, to make room for ${forModel}` : ', to get back under the budget'}`;
      st.evicting = `evicted at ${clockLabel(now)} (clock): ${why}`;
      log.info({ action: 'evict', model: v.name, version: v.version, reason: why, predictedPerHour: Number(perHour(v.demand)), freedBytes: charged, usedBytes: this.#budget.used - charged, budgetBytes: this.#budget.limit }, 'residency decision');
      metrics.residencyDecisions.inc({ action: 'evict', reason: maxDemand === undefined ? (forModel ? 'make_room' : 'over_budget') : 'ahead' });
      await this.#o.repository.unload(v.name, v.version);
      short -= charged;
    }
    if (short > 0) log.warn({ model: forModel, shortBytes: short, usedBytes: this.#budget.used, budgetBytes: this.#budget.limit }, 'over the model memory budget: every other resident model is pinned or has requests in flight');
    return true;
  }

  /** Every model's latest version with what the policies rank it by. */
  #candidates(now: number): Candidate[] {
    const out: Candidate[] = [];
    for (const d of this.#o.repository.latestVersions()) {
      const name = d.name;
      const key = `${name}/${d.version}`;
      const usage = this.#usageOf(name);
      const prediction = usage.predict(now, this.#o.leadSeconds * 1000);
      const st = this.#versions.get(key);
      out.push({
        name, version: d.version, dir: d.dir, key, state: d.state, pinned: d.config.preload.pin, priority: d.config.preload.priority,
        demand: prediction.perSecond, hasHistory: prediction.hasHistory, prediction,
        lastUsedAt: Math.max(usage.lastUsedAt, st?.loadedAt ?? 0),
      });
    }
    return out;
  }

  #describePrediction(p: DemandPrediction): string {
    const rate = `${perHour(p.perSecond)} req/h`;
    if (p.basis === 'profile-ahead') return `the usage profile expects ${rate} in ${bucketLabel(p.bucket as number)}, within the ${Math.round(this.#o.leadSeconds / 60)} min lead time`;
    if (p.basis === 'profile-now') return `the usage profile expects ${rate} in this hour (${bucketLabel(p.bucket as number)})`;
    if (p.basis === 'recent') return `recent traffic ${rate} (EWMA)`;
    return 'no predicted demand';
  }

  #predict(model: string): DemandPrediction {
    return this.#usageOf(model).predict(this.#o.clock.now(), this.#o.leadSeconds * 1000);
  }

  #usageOf(model: string): ModelUsage {
    let u = this.#usage.get(model);
    if (!u) {
      u = new ModelUsage(this.#o.ewmaSeconds, this.#o.clock.now());
      this.#usage.set(model, u);
    }
    return u;
  }

  #state(model: string, version: string): VersionResidency {
    const key = `${model}/${version}`;
    let st = this.#versions.get(key);
    if (!st) {
      st = { leases: 0, coldStarts: 0, coldPending: false, intent: undefined, evicting: undefined, held: false, reason: 'not loaded yet', loadedAt: 0 };
      this.#versions.set(key, st);
    }
    return st;
  }

  /** Bytes a version will be charged: its servable variant files times the factor. */
  #estimate(versionDir: string): number {
    let bytes = 0;
    for (const f of variantFiles(versionDir)) {
      if (!f.usable || !servesOn(f.variant, this.#o.provider)) continue;
      try { bytes += statSync(f.path).size; } catch { /* vanished: the load will fail and charge nothing */ }
    }
    return Math.round(bytes * this.#o.memoryFactor);
  }
}
