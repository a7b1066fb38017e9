/**
 * Pareto fronts of accuracy (higher is better) against latency (lower is better), shared by the sweep tables,
 * the report charts and the UI: a variant is on the front of a device × backend when no other variant there is
 * at least as fast and at least as accurate, and strictly better on one of the two.
 */

/** One candidate: lower `latency` is better, higher `accuracy` is better. */
export interface ParetoPoint {
  latency: number | undefined;
  accuracy: number | undefined;
}

/**
 * Flags, in input order, marking the points on the front. Points without a finite latency or accuracy are never
 * on the front and never dominate. Exact duplicates are all kept on the front.
 */
export function paretoFlags(points: readonly ParetoPoint[]): boolean[] {
  const ok = (p: ParetoPoint): p is { latency: number; accuracy: number } =>
    typeof p.latency === 'number' &&
    Number.isFinite(p.latency) &&
    typeof p.accuracy === 'number' &&
    Number.isFinite(p.accuracy);
  return points.map((p, i) => {
    if (!ok(p)) return false;
    return !points.some(
      (q, j) =>
        j !== i &&
        ok(q) &&
        q.latency <= p.latency &&
        q.accuracy >= p.accuracy &&
        (q.latency < p.latency || q.accuracy > p.accuracy),
    );
  });
}

/** A labelled point of a trade-off chart. */
export interface TradeoffPoint {
  label: string;
  /** Latency, ms. */
  latency: number;
  /** Accuracy, fraction. */
  accuracy: number;
}

/** Indices of the points on the front (ties on both axes keep every copy). */
export function paretoFront(points: readonly TradeoffPoint[]): number[] {
  return paretoFlags(points).flatMap((on, i) => (on ? [i] : []));
}
