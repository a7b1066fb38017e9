import { describe, expect, it } from 'vitest';
import { TopKCounter, rankOf } from '../../../src/main/engine/evaluate/topk.js';

describe('rankOf', () => {
  it('counts higher scores and breaks ties against the true label', () => {
    const s = new Float32Array([0.1, 0.9, 0.5, 0.5]);
    expect(rankOf(s, 0, 4, 1)).toBe(0);
    expect(rankOf(s, 0, 4, 2)).toBe(1);
    expect(rankOf(s, 0, 4, 3)).toBe(2); // tie with class 2 counts against it
    expect(rankOf(s, 0, 4, 0)).toBe(3);
  });
});

describe('TopKCounter', () => {
  it('uses k = min(5, classes) and reports per-class top-1', () => {
    const c = new TopKCounter(3);
    // 3 classes: top-5 becomes top-3, so every prediction is a top-"5" hit.
    c.add(new Float32Array([3, 2, 1, 1, 3, 2, 1, 2, 3, 3, 2, 1]), 3, [0, 0, 2, 1]);
    expect(c.result()).toEqual({ top1: 0.5, top5: 1, n: 4, perClass: [0.5, 0, 1] });
  });

  it('ignores padded rows beyond the labels and handles more outputs than dataset classes', () => {
    const c = new TopKCounter(2);
    const logits = new Float32Array(3 * 7);
    logits[0 * 7 + 6] = 9; // row 0: class 6 wins, label 0 is rank ≥ 1
    logits[0 * 7 + 0] = 1;
    logits[1 * 7 + 1] = 5; // row 1: label 1 wins
    logits[2 * 7 + 0] = 100; // padded row, not counted
    c.add(logits, 7, [0, 1]);
    expect(c.result()).toEqual({ top1: 0.5, top5: 1, n: 2, perClass: [0, 1] });
  });
});
