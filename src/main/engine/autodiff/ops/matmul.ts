/**
 * Gradient rules of MatMul (batched, broadcasting) and Gemm.
 *
 * For the common `activations[N,T,K] @ weight[K,M]` case the weight gradient is one Gemm over the
 * flattened rows (`X[N·T,K]ᵀ · dY[N·T,M]`), which is much cheaper than a batched MatMul + ReduceSum.
 */
import { attrFloat, attrInt } from '../../onnx/graph.js';
import { unsupported } from '../context.js';
import type { GradContext, GradRule } from '../types.js';

/** Swap the last two axes of a tensor of the given rank. */
function swapLast(ctx: GradContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return ctx.op('Transpose', [x], { perm });
}

const matmul: GradRule = (node, [g], ctx) => {
  const a = node.input[0] ?? '';
  const b = node.input[1] ?? '';
  const y = node.output[0] ?? '';
  if (!g) return [];
  const ra = ctx.info(a).dims.length;
  const rb = ctx.info(b).dims.length;
  if (ra < 2 || rb < 2) throw unsupported(node, 'rank-1 MatMul operands are not supported');
  let ga: string | undefined;
  let gb: string | undefined;
  if (ctx.needsGrad(a)) {
    ga = ctx.reduceTo(ctx.op('MatMul', [g, swapLast(ctx, b, rb)]), y, a);
  }
  if (ctx.needsGrad(b)) {
    const bInfo = ctx.info(b);
    const aInfo = ctx.info(a);
    const k = aInfo.dims[ra - 1] as number;
    const m = bInfo.dims[rb - 1] as number;
    const flat = rb === 2 && ra > 2 && !aInfo.dynamic[ra - 1] && !bInfo.dynamic[1];
    if (flat) {
      const a2 = ctx.op('Reshape', [a, ctx.ints([-1, k])]);
      const g2 = ctx.op('Reshape', [g, ctx.ints([-1, m])]);
      gb = ctx.op('Gemm', [a2, g2], { transA: 1 });
    } else {
      gb = ctx.reduceTo(ctx.op('MatMul', [swapLast(ctx, a, ra), g]), y, b);
    }
  }
  return [ga, gb];
};

const gemm: GradRule = (node, [g], ctx) => {
  const [a, b, c] = [node.input[0] ?? '', node.input[1] ?? '', node.input[2] ?? ''];
  const y = node.output[0] ?? '';
  if (!g) return [];
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const transA = attrInt(node, 'transA', 0);
  const transB = attrInt(node, 'transB', 0);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (ctx.needsGrad(a)) {
    // d op(A) = alpha · dY · op(B)ᵀ ; dA = transA ? (d op(A))ᵀ = alpha · op(B) · dYᵀ
    out[0] = transA
      ? ctx.op('Gemm', [b, g], { alpha: { f: alpha }, transA: transB, transB: 1 })
      : ctx.op('Gemm', [g, b], { alpha: { f: alpha }, transB: transB ? 0 : 1 });
  }
  if (ctx.needsGrad(b)) {
    // d op(B) = alpha · op(A)ᵀ · dY ; dB = transB ? alpha · dYᵀ · op(A)
    out[1] = transB
      ? ctx.op('Gemm', [g, a], { alpha: { f: alpha }, transA: 1, transB: transA })
      : ctx.op('Gemm', [a, g], { alpha: { f: alpha }, transA: transA ? 0 : 1 });
  }
  if (c && ctx.needsGrad(c)) {
    const gc = ctx.reduceTo(g, y, c);
    out[2] = beta === 1 ? gc : ctx.op('Mul', [gc, ctx.scalar(beta, c)]);
  }
  return out;
};

export const matmulRules: Record<string, GradRule> = { MatMul: matmul, Gemm: gemm };
