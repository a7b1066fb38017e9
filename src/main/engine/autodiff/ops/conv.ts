/**
 * Gradient rule of Conv for patch embeddings (kernel = stride, no padding, no dilation, one group):
 * the convolution is a matrix product over non-overlapping patches, so its gradients are too.
 *   patches P[N·Ph·Pw, C·kh·kw], dY → G[N·Ph·Pw, O];  dW = Gᵀ·P (reshaped to [O,C,kh,kw]);
 *   dX = (G·W) folded back into the image; db = Σ dY over N, Ph, Pw.
 */
import { attrInt, attrInts } from '../../onnx/graph.js';
import { unsupported } from '../context.js';
import type { GradRule } from '../types.js';

const conv: GradRule = (node, [g], ctx) => {
  const [x, w, b] = [node.input[0] ?? '', node.input[1] ?? '', node.input[2] ?? ''];
  const y = node.output[0] ?? '';
  if (!g) return [];
  const xi = ctx.info(x);
  const wi = ctx.info(w);
  const yi = ctx.info(y);
  if (xi.dims.length !== 4) throw unsupported(node, 'only 2-D convolutions are supported');
  const [o, c, kh, kw] = wi.dims as [number, number, number, number];
  const strides = attrInts(node, 'strides') ?? [1, 1];
  const pads = attrInts(node, 'pads') ?? [0, 0, 0, 0];
  const dil = attrInts(node, 'dilations') ?? [1, 1];
  const autoPad = node.attribute.find((a) => a.name === 'auto_pad');
  const autoPadValue = autoPad ? new TextDecoder().decode(autoPad.s) : 'NOTSET';
  const patchify =
    attrInt(node, 'group', 1) === 1 &&
    strides[0] === kh &&
    strides[1] === kw &&
    pads.every((p) => p === 0) &&
    dil.every((d) => d === 1) &&
    (autoPadValue === 'NOTSET' || autoPadValue === 'VALID');
  if (!patchify)
    throw unsupported(node, 'only patch-embedding convolutions (kernel = stride, no padding, one group) are supported');
  if (xi.dynamic[2] || xi.dynamic[3]) throw unsupported(node, 'the image size must be static');
  const [ph, pw] = [yi.dims[2] as number, yi.dims[3] as number];
  const [h, wd] = [xi.dims[2] as number, xi.dims[3] as number];
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  // G[N·Ph·Pw, O]
  const g2 = ctx.op('Reshape', [ctx.op('Transpose', [g], { perm: [0, 2, 3, 1] }), ctx.ints([-1, o])]);
  if (ctx.needsGrad(w)) {
    let xc = x;
    if (h !== ph * kh || wd !== pw * kw) {
      xc = ctx.op('Slice', [x, ctx.ints([0, 0]), ctx.ints([ph * kh, pw * kw]), ctx.ints([2, 3])]);
    }
    // [N,C,Ph,kh,Pw,kw] → [N,Ph,Pw,C,kh,kw] → [N·Ph·Pw, C·kh·kw]
    const p6 = ctx.op('Reshape', [xc, ctx.ints([-1, c, ph, kh, pw, kw])]);
    const p2 = ctx.op('Reshape', [
      ctx.op('Transpose', [p6], { perm: [0, 2, 4, 1, 3, 5] }),
      ctx.ints([-1, c * kh * kw]),
    ]);
    out[1] = ctx.op('Reshape', [ctx.op('Gemm', [g2, p2], { transA: 1 }), ctx.ints([o, c, kh, kw])]);
  }
  if (b && ctx.needsGrad(b)) out[2] = ctx.reduceSum(g, [0, 2, 3], false);
  if (ctx.needsGrad(x)) {
    const w2 = ctx.op('Reshape', [w, ctx.ints([o, c * kh * kw])]);
    const dp = ctx.op('MatMul', [g2, w2]);
    const d6 = ctx.op('Transpose', [ctx.op('Reshape', [dp, ctx.ints([-1, ph, pw, c, kh, kw])])], {
      perm: [0, 3, 1, 4, 2, 5],
    });
    const dx = ctx.op('Reshape', [d6, ctx.ints([-1, c, ph * kh, pw * kw])]);
    out[0] =
      h !== ph * kh || wd !== pw * kw
        ? ctx.op('Pad', [dx, ctx.ints([0, 0, 0, 0, 0, 0, h - ph * kh, wd - pw * kw])], { mode: 'constant' })
        : dx;
  }
  return out;
};

export const convRules: Record<string, GradRule> = { Conv: conv };
