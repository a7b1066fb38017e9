/**
 * Activation range estimation from streamed tensor values: running min/max, an adaptive histogram of |x|,
 * and the three range estimators (MinMax, Percentile, Entropy = KL divergence as in TensorRT's calibrator).
 */
import type { CalibrationMethod, TensorRange } from './types.js';

/** Default number of histogram bins (TensorRT uses 2048). */
export const DEFAULT_BINS = 2048;

/** Plain-object form of `TensorStats` (ranges cache). */
export interface StatsJson {
  min: number;
  max: number;
  top: number;
  counts: number[];
  tail?: number[];
  tailTotal?: number;
}

/** How many of the largest |x| values an exact `percentile` over `total` values needs. */
export function tailSize(total: number, percentile: number): number {
  return Math.max(1, Math.floor(total * (1 - percentile / 100)) + 1);
}

/**
 * Exact percentile of |x| from the largest values: the smallest value T such that at most
 * total·(1 − p/100) values exceed it. When the tail is too short (collected for a higher
 * percentile) its smallest value is returned, which can only widen the range.
 */
export function percentileFromTail(tail: Float32Array, total: number, percentile: number): number {
  if (tail.length === 0) return 0;
  const k = tailSize(total, percentile);
  return tail[Math.min(k, tail.length) - 1] as number;
}

/**
 * Running statistics of one tensor: signed min/max and a histogram of |x| over [0, top].
 * When a value beyond `top` arrives the range doubles until it fits and pairs of bins are merged,
 * so merging is exact and the histogram never needs a second pass over the data.
 */
export class TensorStats {
  min = Infinity;
  max = -Infinity;
  /** Upper edge of the histogram; 0 until the first non-zero value. */
  top = 0;
  readonly counts: Float64Array;
  /** Largest |x| values seen (descending), kept for an exact percentile; see `addTail`. */
  tail: Float32Array = new Float32Array(0);
  /** Number of values the tail was taken from. */
  tailTotal = 0;

  constructor(
    readonly bins = DEFAULT_BINS,
    readonly withHistogram = true,
  ) {
    this.counts = new Float64Array(withHistogram ? bins : 0);
  }

  /** Add a batch of values. */
  add(values: ArrayLike<number>): void {
    // One monomorphic loop over a Float32Array (the calibration path) keeps this at ~1 ns per value.
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    const [mn, mx] = minMax(data, this.min, this.max);
    this.min = mn;
    this.max = mx;
    if (!this.withHistogram) return;
    const absmax = Math.max(Math.abs(mn), Math.abs(mx));
    if (absmax > this.top) this.grow(absmax);
    if (this.top === 0) {
      this.counts[0] = (this.counts[0] as number) + data.length;
      return;
    }
    accumulate(data, this.counts, this.bins / this.top);
  }

  /**
   * Bin a sample of a batch (strided subset taken in the calibration graph) after the exact batch
   * min/max were added with `addMinMax`: the histogram range still covers the exact extremes.
   */
  addSample(sample: Float32Array): void {
    if (!this.withHistogram) return;
    const absmax = Math.max(Math.abs(this.min), Math.abs(this.max));
    if (absmax > this.top) this.grow(absmax);
    if (this.top === 0) {
      this.counts[0] = (this.counts[0] as number) + sample.length;
      return;
    }
    accumulate(sample, this.counts, this.bins / this.top);
  }

  /** Update min/max from already reduced values (computed in the calibration graph). */
  addMinMax(min: number, max: number): void {
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  /**
   * Merge the `k` largest |x| of a batch of `n` values, keeping the `keep` largest overall
   * (enough for an exact percentile over all values).
   */
  addTail(top: Float32Array, n: number, keep: number): void {
    const merged = new Float32Array(this.tail.length + top.length);
    merged.set(this.tail);
    merged.set(top, this.tail.length);
    merged.sort().reverse();
    this.tail = merged.slice(0, keep);
    this.tailTotal += n;
  }

  private grow(absmax: number): void {
    if (this.top === 0) {
      this.top = absmax;
      return;
    }
    let factor = 1;
    while (this.top * factor < absmax) factor *= 2;
    if (factor === 1) return;
    const merged = new Float64Array(this.bins);
    for (let i = 0; i < this.bins; i++) {
      const j = Math.floor(i / factor);
      merged[j] = (merged[j] as number) + (this.counts[i] as number);
    }
    this.counts.set(merged);
    this.top *= factor;
  }

  /** Plain-object form for the ranges cache. */
  toJSON(): StatsJson {
    return {
      min: this.min,
      max: this.max,
      top: this.top,
      counts: Array.from(this.counts),
      tail: Array.from(this.tail),
      tailTotal: this.tailTotal,
    };
  }

  static fromJSON(o: StatsJson): TensorStats {
    const s = new TensorStats(o.counts.length || DEFAULT_BINS, o.counts.length > 0);
    s.min = o.min;
    s.max = o.max;
    s.top = o.top;
    s.counts.set(o.counts);
    s.tail = Float32Array.from(o.tail ?? []);
    s.tailTotal = o.tailTotal ?? 0;
    return s;
  }
}

function minMax(data: Float32Array, min: number, max: number): [number, number] {
  let mn = min;
  let mx = max;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < mn) mn = v;
    else if (v > mx) mx = v;
  }
  return [mn, mx];
}

function accumulate(data: Float32Array, counts: Float64Array, inv: number): void {
  const last = counts.length - 1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    let b = ((v < 0 ? -v : v) * inv) | 0;
    if (b > last) b = last;
    counts[b] = (counts[b] as number) + 1;
  }
}

/** The value below which `percentile` % of the |x| mass lies (upper edge of that bin). */
export function percentileThreshold(counts: Float64Array, top: number, percentile: number): number {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0 || top === 0) return 0;
  const target = (total * percentile) / 100;
  let acc = 0;
  const width = top / counts.length;
  for (let i = 0; i < counts.length; i++) {
    acc += counts[i] as number;
    if (acc >= target) return (i + 1) * width;
  }
  return top;
}

/**
 * TensorRT-style entropy calibration: pick the clipping threshold T (a bin edge ≥ `levels` bins) that
 * minimises KL(P‖Q), where P is the histogram clipped at T (outliers folded into the last bin) and Q is
 * P quantized to `levels` levels and expanded back over the non-empty bins.
 */
export function entropyThreshold(counts: Float64Array, top: number, levels = 128): number {
  const bins = counts.length;
  if (top === 0) return 0;
  if (bins <= levels) return top;
  let lastNonZero = 0;
  for (let i = 0; i < bins; i++) if ((counts[i] as number) > 0) lastNonZero = i;
  if (lastNonZero < levels) return ((lastNonZero + 1) * top) / bins;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  const suffix = new Float64Array(bins + 1); // suffix[i] = sum of counts[i..]
  for (let i = bins - 1; i >= 0; i--) suffix[i] = (suffix[i + 1] as number) + (counts[i] as number);
  const klAt = (i: number): number => {
    // P: first i bins, everything beyond folded into bin i-1.
    for (let j = 0; j < i; j++) p[j] = counts[j] as number;
    p[i - 1] = (p[i - 1] as number) + (suffix[i] as number);
    // Q: merge the i (unfolded) bins into `levels` groups, then spread each group's mass over the bins
    // where P is non-empty (P includes the folded outliers, as in ONNX Runtime's implementation).
    const step = i / levels;
    for (let k = 0; k < levels; k++) {
      const start = Math.floor(k * step);
      const end = k === levels - 1 ? i : Math.floor((k + 1) * step);
      let sum = 0;
      let nonzero = 0;
      for (let j = start; j < end; j++) {
        sum += counts[j] as number;
        if ((p[j] as number) > 0) nonzero++;
      }
      const share = nonzero > 0 ? sum / nonzero : 0;
      for (let j = start; j < end; j++) q[j] = (p[j] as number) > 0 ? share : 0;
    }
    return klDivergence(p, q, i);
  };
  // Coarse scan every `stride` bins, then every bin around the best coarse candidate.
  const stride = 16;
  let best = bins;
  let bestKl = Infinity;
  const consider = (i: number): void => {
    const kl = klAt(i);
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  };
  for (let i = levels; i <= bins; i += stride) consider(i);
  consider(bins);
  const centre = best;
  for (let i = Math.max(levels, centre - stride + 1); i <= Math.min(bins, centre + stride - 1); i++) consider(i);
  return (best * top) / bins;
}

function klDivergence(p: Float64Array, q: Float64Array, n: number): number {
  let ps = 0;
  let qs = 0;
  for (let j = 0; j < n; j++) {
    ps += p[j] as number;
    qs += q[j] as number;
  }
  if (ps === 0 || qs === 0) return Infinity;
  let kl = 0;
  for (let j = 0; j < n; j++) {
    const pj = (p[j] as number) / ps;
    if (pj === 0) continue;
    const qj = (q[j] as number) / qs;
    // A bin P has mass but Q not (the folded outliers): TensorRT smooths Q; use a small epsilon.
    kl += pj * Math.log(pj / (qj > 0 ? qj : 1e-12));
  }
  return kl;
}

/** Options of `rangeOf`. */
export interface RangeOptions {
  /** Percentile for `percentile` (default 99.999). */
  percentile?: number;
  /** Quantization levels per sign for `entropy` (default 128 for 8-bit). */
  levels?: number;
}

/**
 * Range of a tensor for a method. Percentile/entropy thresholds apply to |x|; the result is the
 * observed [min, max] clipped to [-T, T] (so non-negative tensors keep min 0 and get [0, T]).
 */
export function rangeOf(stats: TensorStats, method: CalibrationMethod, opts: RangeOptions = {}): TensorRange {
  const observed = { min: Number.isFinite(stats.min) ? stats.min : 0, max: Number.isFinite(stats.max) ? stats.max : 0 };
  if (method === 'minmax') return observed;
  let t: number;
  if (method === 'percentile' && stats.tail.length > 0)
    t = percentileFromTail(stats.tail, stats.tailTotal, opts.percentile ?? 99.999);
  else if (!stats.withHistogram) return observed;
  else if (method === 'percentile') t = percentileThreshold(stats.counts, stats.top, opts.percentile ?? 99.999);
  else {
    const nonNegative = observed.min >= 0;
    const levels = opts.levels ?? 128;
    t = entropyThreshold(stats.counts, stats.top, nonNegative ? levels * 2 : levels);
  }
  return { min: Math.max(observed.min, -t), max: Math.min(observed.max, t) };
}
