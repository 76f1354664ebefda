/**
 * A seeded Zipf sampler over ranks 1..n (P(k) proportional to 1/k^s): repeat traffic where a few leads
 * are asked about often and most rarely, which is what the prediction cache is for.
 */
import { seededRandom } from '../../src/repository/sample-inputs.js';

/** Returns a function drawing 0-based ranks (0 is the most popular item). */
export function zipfSampler(n: number, s: number, seed: number): () => number {
  if (n < 1) throw new Error('zipf: n must be >= 1');
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let k = 1; k <= n; k++) {
    acc += 1 / Math.pow(k, s);
    cdf[k - 1] = acc;
  }
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] as number) / acc;
  const rand = seededRandom(seed);
  return () => {
    const u = rand();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] as number) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** The best possible hit rate of an unbounded cache on `draws` (1 - distinct/total): the traffic's ceiling. */
export function idealHitRate(draws: readonly number[]): number {
  if (draws.length === 0) return 0;
  return 1 - new Set(draws).size / draws.length;
}
