/**
 * Latency statistics for benchmarks (pure functions, no I/O).
 *
 * Percentiles use linear interpolation between closest ranks (the "R-7" / NumPy `linear` /
 * Excel `PERCENTILE.INC` definition): for sorted samples x[0..n-1] and p in [0,100], the rank is
 * h = (n-1)·p/100 and the percentile is x[⌊h⌋] + (h-⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]).
 * The standard deviation is the population one (divide by n).
 */

export interface LatencyStats {
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  stdMs: number;
}

/** Percentile `p` (0–100) of already sorted ascending samples, with linear interpolation. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100 (got ${p})`);
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

/** Percentile `p` (0–100) of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  return percentileSorted(
    [...samples].sort((x, y) => x - y),
    p,
  );
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('mean of an empty sample');
  let s = 0;
  for (const x of samples) s += x;
  return s / samples.length;
}

/** Population standard deviation. */
export function std(samples: readonly number[]): number {
  const m = mean(samples);
  let s = 0;
  for (const x of samples) s += (x - m) * (x - m);
  return Math.sqrt(s / samples.length);
}

/** All latency statistics of a sample of run times (ms). */
export function latencyStats(samples: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((x, y) => x - y);
  return {
    meanMs: mean(sorted),
    p50Ms: percentileSorted(sorted, 50),
    p90Ms: percentileSorted(sorted, 90),
    p99Ms: percentileSorted(sorted, 99),
    minMs: sorted[0] as number,
    maxMs: sorted[sorted.length - 1] as number,
    stdMs: std(sorted),
  };
}
