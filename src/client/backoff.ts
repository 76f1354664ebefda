/** Retry policy of the SDK: exponential backoff with jitter, retrying only UNAVAILABLE. */

/** How many times and how far apart to try a call that failed with UNAVAILABLE. */
export interface RetryPolicy {
  /** Attempts in total, first included (1 = no retry). */
  readonly maxAttempts: number;
  /** Backoff cap before the first retry; it doubles per retry. */
  readonly initialBackoffMs: number;
  /** Upper bound of the backoff cap. */
  readonly maxBackoffMs: number;
}

/** Defaults: 3 attempts, 25 ms then 50 ms (each with jitter), never above 1 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ maxAttempts: 3, initialBackoffMs: 25, maxBackoffMs: 1000 });

/** Validates a partial policy over the defaults. */
export function retryPolicy(p: Partial<RetryPolicy> = {}): RetryPolicy {
  const r = { ...DEFAULT_RETRY_POLICY, ...p };
  if (!Number.isInteger(r.maxAttempts) || r.maxAttempts < 1) throw new RangeError(`retries.maxAttempts must be an integer >= 1, got ${r.maxAttempts}`);
  if (!(r.initialBackoffMs >= 0) || !(r.maxBackoffMs >= r.initialBackoffMs)) {
    throw new RangeError(`retries: need 0 <= initialBackoffMs <= maxBackoffMs, got ${r.initialBackoffMs} and ${r.maxBackoffMs}`);
  }
  return Object.freeze(r);
}

/**
 * Delay before retry number `retry` (1 = first retry): "equal jitter" in [cap/2, cap] with
 * cap = min(maxBackoffMs, initialBackoffMs * 2^(retry-1)). Half the cap is random so replicas that failed
 * together do not retry together; the fixed half keeps a retry from hitting a restarting replica at once.
 */
export function backoffDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, retry - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}
