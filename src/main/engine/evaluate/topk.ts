/**
 * Top-k accuracy bookkeeping over batches of logits (pure, no I/O). k for "top-5" is min(5, classes).
 */
import type { EvalResult } from '../../../common/types/evaluate.js';

/** Rank of the true label among `classes` scores (0 = highest). Ties count against the true label. */
export function rankOf(scores: Float32Array, offset: number, classes: number, label: number): number {
  const s = scores[offset + label] ?? Number.NEGATIVE_INFINITY;
  let rank = 0;
  for (let c = 0; c < classes; c++) {
    if (c === label) continue;
    const v = scores[offset + c] ?? Number.NEGATIVE_INFINITY;
    if (v > s || (v === s && c < label)) rank++;
  }
  return rank;
}

/** Accumulates top-1/top-k hits overall and top-1 per class. */
export class TopKCounter {
  private n = 0;
  private top1 = 0;
  private topk = 0;
  private readonly perClassN: number[];
  private readonly perClassHit: number[];

  constructor(readonly datasetClasses: number) {
    this.perClassN = new Array<number>(datasetClasses).fill(0);
    this.perClassHit = new Array<number>(datasetClasses).fill(0);
  }

  /** Add the first `labels.length` rows of a [rows, classes] logits batch. */
  add(logits: Float32Array, classes: number, labels: readonly number[]): void {
    const k = Math.min(5, classes);
    for (const [i, label] of labels.entries()) {
      const rank = rankOf(logits, i * classes, classes, label);
      this.n++;
      this.perClassN[label] = (this.perClassN[label] ?? 0) + 1;
      if (rank === 0) {
        this.top1++;
        this.perClassHit[label] = (this.perClassHit[label] ?? 0) + 1;
      }
      if (rank < k) this.topk++;
    }
  }

  result(): EvalResult {
    const n = this.n;
    return {
      top1: n ? this.top1 / n : 0,
      top5: n ? this.topk / n : 0,
      n,
      perClass: this.perClassN.map((c, i) => (c ? (this.perClassHit[i] ?? 0) / c : 0)),
    };
  }
}
