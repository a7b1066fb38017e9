/**
 * Range estimators on synthetic data: MinMax exact, Percentile on a known distribution, Entropy clipping a
 * heavy tail, and the adaptive histogram's exact bin merging.
 */
import { describe, expect, it } from 'vitest';
import { TensorStats, entropyThreshold, percentileThreshold, rangeOf } from '../../../src/main/engine/quantize/calibrators.js';
import { normalGenerator } from '../../../src/main/engine/quantize/calibration.js';

describe('TensorStats', () => {
  it('MinMax is the exact observed range over several batches', () => {
    const s = new TensorStats();
    s.add([0.5, -1.25, 3]);
    s.add([7.75, -0.5]);
    s.add([-2, 1]);
    expect(rangeOf(s, 'minmax')).toEqual({ min: -2, max: 7.75 });
  });

  it('keeps every count when the histogram range grows (bins merge exactly)', () => {
    const s = new TensorStats(16);
    s.add(Array.from({ length: 100 }, (_, i) => i / 100)); // top = 0.99
    const before = s.counts.reduce((a, b) => a + b, 0);
    s.add([3.5, -3.9]); // needs top ≥ 3.9 → ×4
    expect(s.top).toBeCloseTo(0.99 * 4, 6);
    expect(s.counts.reduce((a, b) => a + b, 0)).toBe(before + 2);
    // values < 0.99 now fall in the first 4 of 16 bins
    expect(s.counts.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('round-trips through its JSON form', () => {
    const s = new TensorStats(32);
    s.add([1, 2, -3, 0.25]);
    const t = TensorStats.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(rangeOf(t, 'percentile', { percentile: 50 })).toEqual(rangeOf(s, 'percentile', { percentile: 50 }));
    expect(Array.from(t.counts)).toEqual(Array.from(s.counts));
  });
});

describe('percentile', () => {
  it('finds the quantile of a uniform distribution within one bin', () => {
    const s = new TensorStats(2048);
    s.add(Array.from({ length: 100_000 }, (_, i) => (i + 0.5) / 100_000)); // U(0, 1)
    const width = s.top / 2048;
    expect(Math.abs(percentileThreshold(s.counts, s.top, 99) - 0.99)).toBeLessThanOrEqual(width);
    expect(Math.abs(percentileThreshold(s.counts, s.top, 50) - 0.5)).toBeLessThanOrEqual(width);
  });

  it('matches the |N(0,1)| 99 % quantile (2.576) on normal samples', () => {
    const g = normalGenerator(7);
    const s = new TensorStats(2048);
    s.add(Array.from({ length: 200_000 }, g));
    const r = rangeOf(s, 'percentile', { percentile: 99 });
    expect(r.max).toBeGreaterThan(2.5);
    expect(r.max).toBeLessThan(2.65);
    expect(r.min).toBeCloseTo(-r.max, 10);
  });

  it('keeps min 0 for non-negative tensors', () => {
    const s = new TensorStats();
    s.add(Array.from({ length: 1000 }, (_, i) => i));
    const r = rangeOf(s, 'percentile', { percentile: 99.9 });
    expect(r.min).toBe(0);
    expect(r.max).toBeLessThan(999);
  });
});

describe('entropy (KL divergence)', () => {
  it('clips a heavy tail: threshold well below the max', () => {
    const g = normalGenerator(3);
    const values = Array.from({ length: 50_000 }, g);
    values.push(60, -45, 80); // rare outliers, as in ViT residual streams
    const s = new TensorStats(2048);
    s.add(values);
    const t = entropyThreshold(s.counts, s.top, 128);
    expect(t).toBeLessThan(80 / 4);
    expect(t).toBeGreaterThan(2); // but keeps the bulk of the normal
    const r = rangeOf(s, 'entropy');
    expect(r.max).toBe(t);
    expect(r.min).toBe(-t);
  });

  it('keeps the whole range when there are no outliers to clip', () => {
    const s = new TensorStats(2048);
    s.add(Array.from({ length: 20_000 }, (_, i) => (i % 2000) / 2000)); // uniform, no tail
    const t = entropyThreshold(s.counts, s.top, 128);
    expect(t).toBeGreaterThan(0.9 * s.top);
  });
});
