import { describe, expect, it } from 'vitest';
import { paretoFlags } from '../../../src/common/pareto.js';

describe('paretoFlags', () => {
  it('keeps points no other point beats on latency and accuracy', () => {
    const flags = paretoFlags([
      { latency: 10, accuracy: 0.9 }, // baseline: most accurate
      { latency: 6, accuracy: 0.88 }, // faster, slightly worse: front
      { latency: 7, accuracy: 0.85 }, // dominated by the previous one
      { latency: 4, accuracy: 0.7 }, // fastest: front
      { latency: 12, accuracy: 0.9 }, // dominated by baseline (slower, same accuracy)
    ]);
    expect(flags).toEqual([true, true, false, true, false]);
  });

  it('ignores points without numbers and keeps exact duplicates', () => {
    expect(
      paretoFlags([
        { latency: undefined, accuracy: 0.99 },
        { latency: 5, accuracy: 0.5 },
        { latency: 5, accuracy: 0.5 },
        { latency: Number.NaN, accuracy: 1 },
      ]),
    ).toEqual([false, true, true, false]);
    expect(paretoFlags([])).toEqual([]);
  });
});
