/**
 * Dependency groups of a ViT (Torch-Pruning's idea applied to ONNX initializers): attention heads,
 * head-dim channels, MLP hidden units per block, and the embedding channels of the residual stream.
 */
import type { LinearRef, NormRef, ParamRef, VitBlock, VitMap } from '../vit/types.js';
import type { DependencyGroup, GroupKind, GroupSlice } from './types.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function slice(p: ParamRef, axis: number, role: GroupSlice['role'], indices: number[][]): GroupSlice {
  return { initializer: p.initializer, node: p.node, input: p.input, axis, role, indices };
}

/** Slices of a linear's output features: unit u → `outIdx[u]`. */
function outSlices(l: LinearRef, outIdx: number[][]): GroupSlice[] {
  const s = [slice(l.weight, l.layout === 'in-out' ? 1 : 0, 'weight', outIdx)];
  if (l.bias) s.push(slice(l.bias, 0, 'bias', outIdx));
  return s;
}

/** Slices of a linear's input features (`reader` when the features are residual-stream channels). */
function inSlices(l: LinearRef, inIdx: number[][], role: 'weight' | 'reader' = 'weight'): GroupSlice[] {
  return [slice(l.weight, l.layout === 'in-out' ? 0 : 1, role, inIdx)];
}

function normSlices(n: NormRef, idx: number[][], role: 'weight' | 'reader'): GroupSlice[] {
  const s = [slice(n.gamma, 0, role, idx)];
  if (n.beta) s.push(slice(n.beta, 0, 'bias', idx));
  return s;
}

/** Channel indices of attention width for each unit, given a (head, dim) → included predicate. */
function attentionGroup(b: VitBlock, kind: GroupKind, units: number, chans: (u: number) => number[]): DependencyGroup {
  const a = b.attention;
  const per = range(units).map(chans);
  const slices: GroupSlice[] = [];
  if (a.qkv) {
    const fused = per.map((c) => [0, 1, 2].flatMap((s) => c.map((x) => s * a.inner + x)));
    slices.push(...outSlices(a.qkv, fused));
  } else {
    for (const l of [a.q, a.k, a.v]) if (l) slices.push(...outSlices(l, per));
  }
  slices.push(...inSlices(a.proj, per));
  return {
    id: `block${b.index}.${kind}`,
    kind,
    block: b.index,
    units,
    slices,
    reshapes: a.reshapes.map((r) => r.node),
  };
}

export function headGroup(b: VitBlock): DependencyGroup {
  const hd = b.attention.headDim;
  return attentionGroup(b, 'heads', b.attention.heads, (h) => range(hd).map((d) => h * hd + d));
}

export function headDimGroup(b: VitBlock): DependencyGroup {
  const { heads, headDim } = b.attention;
  return attentionGroup(b, 'head-dims', headDim, (d) => range(heads).map((h) => h * headDim + d));
}

export function mlpGroup(b: VitBlock): DependencyGroup {
  const per = range(b.mlp.hidden).map((j) => [j]);
  return {
    id: `block${b.index}.mlp`,
    kind: 'mlp',
    block: b.index,
    units: b.mlp.hidden,
    slices: [...outSlices(b.mlp.fc1, per), ...inSlices(b.mlp.fc2, per)],
    reshapes: [],
  };
}

/**
 * The residual stream: every tensor that carries or consumes the embedding channels.
 *
 * Writers of the stream (patch embedding, class/distillation/position tokens, attention output
 * projections, MLP fc2; in a post-norm model also the blocks' LayerNorms, whose output is the stream) are
 * the scored `weight` slices. Readers (q/k/v or qkv, fc1 and classifier inputs, and the LayerNorm
 * γ of a pre-norm model) are `reader` slices: cut, not scored. importance/reduce.ts says why.
 */
export function embedGroup(v: VitMap): DependencyGroup {
  const per = range(v.dim).map((c) => [c]);
  const normRole = v.normPlacement === 'post' ? 'weight' : 'reader';
  const s: GroupSlice[] = [slice(v.patch.weight, 0, 'weight', per)];
  if (v.patch.bias) s.push(slice(v.patch.bias, 0, 'bias', per));
  for (const t of [v.clsToken, v.distToken, v.posEmbed]) if (t) s.push(slice(t, t.dims.length - 1, 'weight', per));
  for (const b of v.blocks) {
    s.push(...normSlices(b.norm1, per, normRole), ...normSlices(b.norm2, per, normRole));
    const a = b.attention;
    for (const l of [a.qkv, a.q, a.k, a.v]) if (l) s.push(...inSlices(l, per, 'reader'));
    s.push(...outSlices(a.proj, per), ...inSlices(b.mlp.fc1, per, 'reader'), ...outSlices(b.mlp.fc2, per));
  }
  // Norms after the last block feed only the classifier: readers in either placement.
  for (const n of v.finalNorms) s.push(...normSlices(n, per, 'reader'));
  for (const c of v.classifiers) s.push(...inSlices(c, per, 'reader'));
  const reshapes = v.blocks.flatMap((b) => b.attention.reshapes.map((r) => r.node));
  return { id: 'embed', kind: 'embed', units: v.dim, slices: s, reshapes };
}

/** All groups of the requested kinds, in a stable order. */
export function buildGroups(v: VitMap, kinds: readonly GroupKind[]): DependencyGroup[] {
  const out: DependencyGroup[] = [];
  for (const b of v.blocks) {
    if (kinds.includes('heads')) out.push(headGroup(b));
    if (kinds.includes('head-dims')) out.push(headDimGroup(b));
    if (kinds.includes('mlp')) out.push(mlpGroup(b));
  }
  if (kinds.includes('embed')) out.push(embedGroup(v));
  return out;
}
