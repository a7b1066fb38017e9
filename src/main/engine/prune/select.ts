/**
 * Choosing which units to remove from unit scores: uniform per group or global ranking across the
 * blocks of one kind, with round-to and "never empty a block" constraints.
 */
import type { DependencyGroup } from './types.js';

/** Kept-unit count after rounding up to a multiple of `roundTo` (never more than `units`). */
export function roundKept(kept: number, units: number, roundTo: number): number {
  const r = Math.max(1, Math.floor(roundTo));
  const k = Math.max(1, kept);
  return Math.min(units, Math.ceil(k / r) * r);
}

/** Indices of the `n` lowest scores (ties broken by index), sorted ascending. */
function lowest(scores: Float64Array, n: number): number[] {
  const order = Array.from(scores.keys()).sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
  return order.slice(0, n).sort((a, b) => a - b);
}

/** Heads are whole units already; rounding applies to channel-like groups. */
function roundingFor(g: DependencyGroup, roundTo: number): number {
  return g.kind === 'heads' ? 1 : roundTo;
}

/** Remove `ratio` of each group's units independently. */
export function selectUniform(
  groups: DependencyGroup[],
  scores: Float64Array[],
  ratio: number,
  roundTo: number,
): number[][] {
  return groups.map((g, gi) => {
    const kept = roundKept(g.units - Math.floor(g.units * ratio), g.units, roundingFor(g, roundTo));
    return lowest(scores[gi] as Float64Array, g.units - kept);
  });
}

/**
 * Remove `ratio` of all units of the given groups (same kind) by global rank of their normalised
 * scores, keeping at least one unit per group and rounding each group's kept count up.
 */
export function selectGlobal(
  groups: DependencyGroup[],
  scores: Float64Array[],
  ratio: number,
  roundTo: number,
): number[][] {
  const all: Array<{ g: number; u: number; s: number }> = [];
  groups.forEach((g, gi) => {
    const sc = scores[gi] as Float64Array;
    for (let u = 0; u < g.units; u++) all.push({ g: gi, u, s: sc[u] as number });
  });
  all.sort((a, b) => a.s - b.s || a.g - b.g || a.u - b.u);
  const total = all.length;
  const budget = Math.floor(total * ratio);
  const removed = groups.map(() => new Set<number>());
  let n = 0;
  for (const e of all) {
    if (n >= budget) break;
    const g = groups[e.g] as DependencyGroup;
    const r = removed[e.g] as Set<number>;
    if (g.units - r.size <= 1) continue;
    r.add(e.u);
    n++;
  }
  return groups.map((g, gi) => {
    const r = removed[gi] as Set<number>;
    const kept = roundKept(g.units - r.size, g.units, roundingFor(g, roundTo));
    const keepRemoved = g.units - kept;
    const sc = scores[gi] as Float64Array;
    // Re-admit the best of the removed units until the rounded count is met.
    const list = [...r].sort((a, b) => (sc[a] as number) - (sc[b] as number) || a - b).slice(0, keepRemoved);
    return list.sort((a, b) => a - b);
  });
}
