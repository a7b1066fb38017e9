import { describe, expect, it } from 'vitest';
import { latencyStats, mean, percentile, percentileSorted, std } from '../../../src/main/engine/bench/stats.js';

describe('percentiles (linear interpolation between closest ranks, NumPy "linear")', () => {
  it('interpolates between neighbours', () => {
    // h = (n-1)p/100: n=4, p=50 → h=1.5 → 2 + 0.5·(3-2)
    expect(percentile([4, 1, 3, 2], 50)).toBeCloseTo(2.5, 12);
    // p=90 → h=2.7 → 3 + 0.7·(4-3)
    expect(percentile([1, 2, 3, 4], 90)).toBeCloseTo(3.7, 12);
    // 1..100, p=99 → h=98.01 → 99 + 0.01
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 99)).toBeCloseTo(99.01, 10);
    expect(percentile(xs, 50)).toBeCloseTo(50.5, 12);
  });

  it('gives the extremes at 0 and 100 and the value itself for one sample', () => {
    expect(percentileSorted([2, 5, 9], 0)).toBe(2);
    expect(percentileSorted([2, 5, 9], 100)).toBe(9);
    expect(percentile([7], 99)).toBe(7);
  });

  it('rejects empty samples and out-of-range percentiles', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('mean, std and latencyStats', () => {
  it('uses the population standard deviation', () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).toBe(5);
    expect(std([2, 4, 4, 4, 5, 5, 7, 9])).toBe(2);
  });

  it('summarises unsorted samples without changing them', () => {
    const xs = [5, 1, 4, 2, 3];
    const s = latencyStats(xs);
    expect(xs).toEqual([5, 1, 4, 2, 3]);
    expect(s).toEqual({
      meanMs: 3,
      p50Ms: 3,
      p90Ms: 4.6,
      p99Ms: expect.closeTo(4.96, 10),
      minMs: 1,
      maxMs: 5,
      stdMs: Math.sqrt(2),
    });
  });
});
