/**
 * The one group reduction shared by every criterion: element scores → one score per prunable unit.
 *
 * Torch-Pruning semantics (GroupMagnitudeImportance with group_reduction='mean',
 * normalizer='mean'), with one change of order: per coupled slice, Σ over the unit's elements
 * (scores are already |w|^p or the criterion's equivalent) and divide by that slice's mean unit
 * score; then the mean over the group's scored slices; then mean normalisation (divide by the
 * mean unit score) so groups of different sizes are comparable in global ranking.
 *
 * Why normalise per slice before averaging: coupled slices differ in size and scale by orders of
 * magnitude (a class token gives one value per channel, fc2 768; |w| sums of a 768-wide row are
 * ~10³× a token's), so a raw mean is decided by the largest tensors and the others do not count.
 * Normalised, each coupled layer casts one equal vote. Torch-Pruning normalises after the mean.
 *
 * Which slices are scored is the dependency group's decision (`role: 'weight'`). For the
 * residual-stream (embed) group only the writers of a channel are scored, not its readers (see
 * groups.ts). Measured on the demo DeiT: LayerNorm divides each token by its spread across
 * channels, and the network compensates channel scale on the reading side — per channel, LN γ and
 * the reading weights' magnitudes correlate negatively with the channel's residual activation
 * (Spearman −0.21 and −0.11) while the writers' correlate positively (+0.39). Averaged over all 41
 * slices the magnitude scores were flat (within ±7% of the mean) and L1/L2 removed most of the
 * channels with the largest activations. Writers are the weight-only estimate of how much signal a channel
 * carries. For gradient criteria the writers also suffice: the gradient at a writer is the input
 * times ∂loss/∂(residual channel), which already sums the effect on every downstream reader.
 */
import { PqvError } from '../../../../common/errors.js';
import type { DependencyGroup } from '../types.js';
import type { ElementScores } from './element-scores.js';

/** Sum of `scores` over every axis except `axis`: one value per index along `axis`. */
export function sumAlongAxis(scores: Float32Array, dims: readonly number[], axis: number): Float64Array {
  const n = dims[axis] as number;
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const outer = dims.slice(0, axis).reduce((a, d) => a * d, 1);
  const out = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < n; i++) {
      const base = (o * n + i) * inner;
      let s = 0;
      for (let k = 0; k < inner; k++) s += scores[base + k] as number;
      out[i] = (out[i] as number) + s;
    }
  }
  return out;
}

/** Key of the per-axis sums of one initializer. */
const sumKey = (initializer: string, axis: number): string => `${initializer}@${axis}`;

/**
 * Per-axis sums of every scored slice of `groups`, reading each initializer's element scores once
 * (with `get`, so providers may compute them lazily and memory holds one tensor's scores at a time).
 */
export function axisSums(
  groups: readonly DependencyGroup[],
  scores: ElementScores,
  dims: ReadonlyMap<string, readonly number[]>,
): Map<string, Float64Array> {
  const axes = new Map<string, Set<number>>();
  for (const g of groups) {
    for (const s of g.slices) {
      if (s.role !== 'weight') continue;
      let set = axes.get(s.initializer);
      if (!set) axes.set(s.initializer, (set = new Set()));
      set.add(s.axis);
    }
  }
  const out = new Map<string, Float64Array>();
  for (const [init, set] of axes) {
    const el = scores.get(init);
    if (!el) continue;
    const d = dims.get(init);
    if (!d) throw new PqvError('INTERNAL', `No dims for initializer ${init}`);
    for (const axis of set) out.set(sumKey(init, axis), sumAlongAxis(el, d, axis));
  }
  return out;
}

/** Unit scores of one group from precomputed per-axis sums. */
export function reduceGroupSums(group: DependencyGroup, sums: ReadonlyMap<string, Float64Array>): Float64Array {
  const unit = new Float64Array(group.units);
  const slice = new Float64Array(group.units);
  let layers = 0;
  for (const s of group.slices) {
    if (s.role !== 'weight') continue;
    const a = sums.get(sumKey(s.initializer, s.axis));
    if (!a) continue;
    let mean = 0;
    for (let u = 0; u < group.units; u++) {
      let v = 0;
      for (const i of s.indices[u] ?? []) v += a[i] as number;
      slice[u] = v;
      mean += v;
    }
    mean /= group.units;
    // A slice scored all zero (e.g. a tensor no gradient reaches) says nothing about the units.
    if (mean > 0) for (let u = 0; u < group.units; u++) unit[u] = (unit[u] as number) + (slice[u] as number) / mean;
    layers++;
  }
  if (layers === 0)
    throw new PqvError('INVALID_ARGUMENT', `The importance criterion scored none of the tensors of group ${group.id}.`);
  let mean = 0;
  for (let u = 0; u < group.units; u++) {
    unit[u] = (unit[u] as number) / layers;
    mean += unit[u] as number;
  }
  mean /= group.units;
  if (mean > 0) for (let u = 0; u < group.units; u++) unit[u] = (unit[u] as number) / mean;
  return unit;
}

/**
 * Reduce element scores to unit scores for one group.
 * @param dims initializer name → dims (for the layout of each score array).
 */
export function reduceGroup(
  group: DependencyGroup,
  scores: ElementScores,
  dims: ReadonlyMap<string, readonly number[]>,
): Float64Array {
  return reduceGroupSums(group, axisSums([group], scores, dims));
}
