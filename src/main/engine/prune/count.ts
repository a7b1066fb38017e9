/**
 * Parameter and MAC counts: stored initializer elements, and the analytic count of a ViT from its
 * dimensions (every use of a shared tensor counted, as the unshared network would have).
 */
import type { ModelProto } from 'onnx-buf';
import type { LinearRef, VitMap } from '../vit/types.js';

/** Elements of all initializers stored in the model (shared tensors counted once). */
export function countStoredParams(model: ModelProto): number {
  let n = 0;
  for (const t of model.graph?.initializer ?? []) n += t.dims.reduce((a, d) => a * Number(d), 1);
  return n;
}

const linearParams = (l: LinearRef): number => l.inFeatures * l.outFeatures + (l.bias ? l.outFeatures : 0);
const elems = (dims: readonly number[]): number => dims.reduce((a, d) => a * d, 1);

/** Parameters of the ViT as mapped: sum of the tensors each part uses (shared ones per use). */
export function countParams(v: VitMap): number {
  let n = elems(v.patch.weight.dims) + (v.patch.bias ? elems(v.patch.bias.dims) : 0);
  for (const t of [v.clsToken, v.distToken, v.posEmbed]) if (t) n += elems(t.dims);
  const norm = (x: { gamma: { dims: number[] }; beta?: { dims: number[] } }): number =>
    elems(x.gamma.dims) + (x.beta ? elems(x.beta.dims) : 0);
  for (const b of v.blocks) {
    const a = b.attention;
    n += norm(b.norm1) + norm(b.norm2);
    for (const l of [a.qkv, a.q, a.k, a.v, a.proj, b.mlp.fc1, b.mlp.fc2]) if (l) n += linearParams(l);
  }
  for (const f of v.finalNorms) n += norm(f);
  for (const c of v.classifiers) n += linearParams(c);
  return n;
}

/** Shape summary the analytic formulas need. */
export interface VitShape {
  dim: number;
  inChannels: number;
  patch: number[];
  tokens: number;
  extraTokens: number;
  blocks: Array<{ heads: number; headDim: number; mlp: number }>;
  finalNorms: number;
  classes: number[];
}

export function shapeOf(v: VitMap): VitShape {
  return {
    dim: v.dim,
    inChannels: v.patch.inChannels,
    patch: v.patch.kernel,
    tokens: v.tokens,
    extraTokens: (v.clsToken ? 1 : 0) + (v.distToken ? 1 : 0),
    blocks: v.blocks.map((b) => ({ heads: b.heads, headDim: b.headDim, mlp: b.mlpHidden })),
    finalNorms: v.finalNorms.length,
    classes: v.classifiers.map((c) => c.outFeatures),
  };
}

/** Analytic parameter count of a standard ViT with biases everywhere. */
export function analyticParams(s: VitShape): number {
  const C = s.dim;
  let n = C * s.inChannels * elems(s.patch) + C + s.extraTokens * C + s.tokens * C;
  for (const b of s.blocks) {
    const inner = b.heads * b.headDim;
    n += 4 * C + 3 * (C * inner + inner) + inner * C + C + C * b.mlp + b.mlp + b.mlp * C + C;
  }
  n += s.finalNorms * 2 * C;
  for (const k of s.classes) n += C * k + k;
  return n;
}

/** Analytic multiply-accumulates of one image (linear layers, attention matmuls, patch conv). */
export function analyticMacs(s: VitShape): number {
  const C = s.dim;
  const N = s.tokens;
  const patches = N - s.extraTokens;
  let m = patches * C * s.inChannels * elems(s.patch);
  for (const b of s.blocks) {
    const inner = b.heads * b.headDim;
    m += N * C * 3 * inner; // q, k, v
    m += 2 * b.heads * N * N * b.headDim; // QK^T and AV
    m += N * inner * C; // output projection
    m += 2 * N * C * b.mlp; // fc1, fc2
  }
  for (const k of s.classes) m += C * k;
  return m;
}

/** MACs of a mapped ViT. */
export function countMacs(v: VitMap): number {
  return analyticMacs(shapeOf(v));
}
