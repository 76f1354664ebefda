/**
 * The model memory budget: what each resident model version is charged, and what is left.
 *
 * A version is charged `bytes of its variant files x factor`, the factor defaulting to 3 per engine session
 * holding the variant (one per worker, plus worker 0's wide session when HUB_IDLE_INTRA_OP_THREADS > 1, plus
 * the main thread's all-core session for lone batches when HUB_IDLE_MAIN_MAX_US > 0 too: charged whether or not
 * the profile gives the variant one, since the charge is taken before the profile runs). Not charged: the
 * main-thread session of a variant the profile put there and its session in the idle spinner's lane; both exist
 * only for variants whose whole batch computes within HUB_INLINE_MAX_COMPUTE_US, i.e. tiny ones.
 * Why not the process RSS delta around the load: measured on this machine with 2 workers, the delta is
 * 2.8-2.9x the file per session for MLPs with 4 MB weight tensors (ONNX Runtime keeps the initializers plus
 * a pre-packed copy of MatMul weights) and 4-6x the file in all for the fleet's 0.3-1.2 MB MLPs when the
 * allocator has to grow, but ~0 when a load reuses memory a previous unload freed (glibc keeps freed pages:
 * over half the loads of a fleet run), and a process's first load adds 30-57 MB of runtime set-up whatever
 * its size. So the delta is logged with every load (and exported as `hub_model_load_rss_delta_bytes`) to
 * check the factor against, but the file-based charge is what counts. Because freed memory is reused by
 * the next load, keeping the charged sum under the budget bounds the models' share of peak RSS.
 */

/** Per engine session: initializers + ONNX Runtime's pre-packed weights + arena (measured 2.8-2.9x). */
export const BYTES_PER_FILE_BYTE_PER_SESSION = 3;

/** The default charge factor for an engine layout. */
export function defaultMemoryFactor(workers: number, idleIntraOpThreads: number, idleMainMaxUs = 0): number {
  const wide = workers > 1 && idleIntraOpThreads > 1;
  const sessions = workers + (wide ? 1 : 0) + (wide && idleMainMaxUs > 0 ? 1 : 0);
  return BYTES_PER_FILE_BYTE_PER_SESSION * sessions;
}

/** Resident versions and their charges against an optional budget. */
export class MemoryBudget {
  readonly #limit: number | undefined;
  readonly #charged = new Map<string, number>();
  #used = 0;

  /** @param limit bytes; undefined = unlimited. */
  constructor(limit: number | undefined) {
    this.#limit = limit;
  }

  /** The budget in bytes, or undefined when unlimited. */
  get limit(): number | undefined {
    return this.#limit;
  }

  /** Bytes charged to resident versions. */
  get used(): number {
    return this.#used;
  }

  /** Bytes that must be freed before `bytes` more fit (0 when they fit, always 0 without a budget). */
  shortfall(bytes: number): number {
    if (this.#limit === undefined) return 0;
    return Math.max(0, this.#used + bytes - this.#limit);
  }

  /** Charges a version (replacing an earlier charge of the same key). */
  charge(key: string, bytes: number): void {
    this.release(key);
    this.#charged.set(key, bytes);
    this.#used += bytes;
  }

  /** Drops a version's charge; returns what it was charged (0 if none). */
  release(key: string): number {
    const b = this.#charged.get(key) ?? 0;
    this.#charged.delete(key);
    this.#used -= b;
    return b;
  }

  /** Keys of the charged (resident) versions. */
  keys(): string[] {
    return [...this.#charged.keys()];
  }

  /** What a version is charged (undefined when not resident). */
  chargeOf(key: string): number | undefined {
    return this.#charged.get(key);
  }
}
