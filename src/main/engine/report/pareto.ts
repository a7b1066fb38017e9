/**
 * Pareto front of accuracy (higher is better) against latency (lower is better).
 */
export interface TradeoffPoint {
  label: string;
  /** Latency, ms. */
  latency: number;
  /** Accuracy, fraction. */
  accuracy: number;
}

/** Indices of the points that no other point beats on both axes (ties on both axes keep every copy). */
export function paretoFront(points: readonly TradeoffPoint[]): number[] {
  const front: number[] = [];
  points.forEach((p, i) => {
    const dominated = points.some(
      (q, j) =>
        j !== i &&
        q.latency <= p.latency &&
        q.accuracy >= p.accuracy &&
        (q.latency < p.latency || q.accuracy > p.accuracy),
    );
    if (!dominated) front.push(i);
  });
  return front;
}
