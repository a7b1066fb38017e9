/**
 * Gradient rules of data-movement ops: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand,
 * Split, Concat, Gather (constant index), Slice (constant bounds, step 1).
 */
import { attrInt, attrInts } from '../../onnx/graph.js';
import { normAxis, unsupported } from '../context.js';
import type { GradContext, GradRule } from '../types.js';

const reshapeLike: GradRule = (node, [g], ctx) => {
  const x = node.input[0] ?? '';
  if (!g || !ctx.needsGrad(x)) return [];
  return [ctx.op('Reshape', [g, ctx.shapeOf(x)])];
};

const transpose: GradRule = (node, [g], ctx) => {
  const x = node.input[0] ?? '';
  if (!g || !ctx.needsGrad(x)) return [];
  const rank = ctx.info(x).dims.length;
  const perm = attrInts(node, 'perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inv = new Array<number>(rank);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return [ctx.op('Transpose', [g], { perm: inv })];
};

const expand: GradRule = (node, [g], ctx) => {
  const x = node.input[0] ?? '';
  if (!g || !ctx.needsGrad(x)) return [];
  return [ctx.reduceTo(g, node.output[0] ?? '', x)];
};

const split: GradRule = (node, grads, ctx) => {
  const x = node.input[0] ?? '';
  if (!ctx.needsGrad(x) || grads.every((g) => !g)) return [];
  const axis = normAxis(attrInt(node, 'axis', 0), ctx.info(x).dims.length);
  const parts = node.output.map((o, i) => grads[i] ?? ctx.op('Expand', [ctx.scalar(0, x), ctx.shapeOf(o)]));
  return [parts.length === 1 ? parts[0] : ctx.op('Concat', parts, { axis })];
};

const concat: GradRule = (node, [g], ctx) => {
  if (!g) return [];
  const inputs = node.input;
  if (!inputs.some((i) => ctx.needsGrad(i))) return [];
  const rank = ctx.info(inputs[0] ?? '').dims.length;
  const axis = normAxis(attrInt(node, 'axis', 0), rank);
  if (inputs.length === 1) return [g];
  const static_ = inputs.every((i) => !ctx.info(i).dynamic[axis]);
  const sizes = static_
    ? ctx.ints(inputs.map((i) => ctx.info(i).dims[axis] as number))
    : ctx.op(
        'Concat',
        inputs.map((i) => ctx.op('Gather', [ctx.op('Shape', [i]), ctx.ints([axis])], { axis: 0 })),
        { axis: 0 },
      );
  const parts = ctx.emit('Split', [g, sizes], { axis }, inputs.length);
  return inputs.map((i, k) => (ctx.needsGrad(i) ? parts[k] : undefined));
};

/** Zero-pad `g` back to the shape of `x`: `before[a]`/`after[a]` elements on each axis. */
function padBack(ctx: GradContext, g: string, rank: number, before: number[], after: number[]): string {
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return g;
  return ctx.op('Pad', [g, ctx.ints([...before, ...after])], { mode: 'constant' });
}

const gather: GradRule = (node, [g], ctx) => {
  const [x, idx] = [node.input[0] ?? '', node.input[1] ?? ''];
  if (!g || !ctx.needsGrad(x)) return [];
  const info = ctx.info(x);
  const rank = info.dims.length;
  const axis = normAxis(attrInt(node, 'axis', 0), rank);
  const values = ctx.intValues(idx);
  if (!values || info.dynamic[axis]) throw unsupported(node, 'only constant indices on a static axis are supported');
  const dim = info.dims[axis] as number;
  const norm = values.map((v) => (v < 0 ? v + dim : v));
  const scalarIndex = ctx.info(idx).dims.length === 0;
  const contiguous = norm.every((v, i) => i === 0 || v === (norm[i - 1] as number) + 1);
  if (!scalarIndex && (ctx.info(idx).dims.length !== 1 || !contiguous)) {
    throw unsupported(node, 'only a scalar index or a contiguous 1-D index range is supported');
  }
  const gg = scalarIndex ? ctx.op('Unsqueeze', [g, ctx.ints([axis])]) : g;
  const before = new Array<number>(rank).fill(0);
  const after = new Array<number>(rank).fill(0);
  before[axis] = norm[0] as number;
  after[axis] = dim - (norm[norm.length - 1] as number) - 1;
  return [padBack(ctx, gg, rank, before, after)];
};

const slice: GradRule = (node, [g], ctx) => {
  const x = node.input[0] ?? '';
  if (!g || !ctx.needsGrad(x)) return [];
  const info = ctx.info(x);
  const rank = info.dims.length;
  const read = (i: number): number[] | undefined =>
    node.input[i] ? ctx.intValues(node.input[i] as string) : undefined;
  const starts = read(1);
  const ends = read(2);
  if (!starts || !ends) throw unsupported(node, 'slice bounds are computed from the batch size');
  const axes = (read(3) ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank));
  const steps = read(4) ?? starts.map(() => 1);
  if (steps.some((s) => s !== 1)) throw unsupported(node, 'only step 1 is supported');
  const before = new Array<number>(rank).fill(0);
  const after = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => {
    if (info.dynamic[a]) throw unsupported(node, 'slicing along the batch axis is not supported');
    const dim = info.dims[a] as number;
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const s = clamp(starts[i] as number);
    const e = Math.max(clamp(ends[i] as number), s);
    before[a] = s;
    after[a] = dim - e;
  });
  return [padBack(ctx, g, rank, before, after)];
};

export const shapeRules: Record<string, GradRule> = {
  Reshape: reshapeLike,
  Flatten: reshapeLike,
  Squeeze: reshapeLike,
  Unsqueeze: reshapeLike,
  Transpose: transpose,
  Expand: expand,
  Split: split,
  Concat: concat,
  Gather: gather,
  Slice: slice,
};
