/**
 * What the model repository tells the residency manager (src/residency/) and asks of it. The repository
 * calls these hooks; it never imports the manager, so residency policy can change without touching loading.
 */

/** Why a model version is (or is not) resident, as ListModels shows it. */
export interface ResidencyInfo {
  /** One sentence: "pinned", "loaded ahead of predicted demand ...", "evicted: ...". */
  readonly reason: string;
  /** Predicted near-term demand, requests per hour of the residency clock. */
  readonly predictedPerHour: number;
  /** Bytes charged against the model memory budget while resident (0 when not). */
  readonly residentBytes: number;
  readonly pinned: boolean;
  /** Loads this server did because a request found the version not loaded. */
  readonly coldStarts: number;
}

/** The residency manager as the repository sees it. */
export interface ResidencyHooks {
  /**
   * A request is resolving a version: count it, and hold the version against eviction until `release` is
   * called (the predictor releases when the request is answered).
   */
  acquire(model: string, version: string): () => void;
  /** A request found the version not loaded and waits for its load (counted once per load). */
  coldStart(model: string, version: string): void;
  /**
   * Admission of a load: may wait for other loads and evict to make room. Resolves with the function the
   * repository calls when the load has finished (`ok` false: it failed; nothing stays charged).
   */
  admitLoad(model: string, version: string, versionDir: string): Promise<(ok: boolean) => void>;
  /** A version was unloaded (by eviction or by an admin). */
  unloaded(model: string, version: string): void;
  /** Why a version is or is not resident (`pinned`: its config's preload.pin). */
  describe(model: string, version: string, pinned: boolean): ResidencyInfo;
}
