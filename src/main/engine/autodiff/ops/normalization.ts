/**
 * Gradient rules of normalisations and reductions: Softmax, LogSoftmax, LayerNormalization,
 * ReduceMean, ReduceSum.
 */
import type { NodeProto } from 'onnx-buf';
import { attrFloat, attrInt, attrInts } from '../../onnx/graph.js';
import { normAxis, unsupported } from '../context.js';
import type { GradContext, GradRule } from '../types.js';

const softmax: GradRule = (node, [g], ctx) => {
  const x = node.input[0] ?? '';
  const y = node.output[0] ?? '';
  if (!g || !ctx.needsGrad(x)) return [];
  const axis = normAxis(attrInt(node, 'axis', -1), ctx.info(x).dims.length);
  const s = ctx.reduceSum(ctx.op('Mul', [g, y]), [axis], true);
  return [ctx.op('Mul', [y, ctx.op('Sub', [g, s])])];
};

const logSoftmax: GradRule = (node, [g], ctx) => {
  const x = node.input[0] ?? '';
  const y = node.output[0] ?? '';
  if (!g || !ctx.needsGrad(x)) return [];
  const axis = normAxis(attrInt(node, 'axis', -1), ctx.info(x).dims.length);
  const s = ctx.reduceSum(g, [axis], true);
  return [ctx.op('Sub', [g, ctx.op('Mul', [ctx.op('Exp', [y]), s])])];
};

/**
 * LayerNormalization. x̂ = (x − μ)·σ⁻¹; dγ = Σ g·x̂; dβ = Σ g;
 * dx = σ⁻¹ · (g·γ − mean(g·γ) − x̂ · mean(g·γ·x̂)), means over the normalised axes.
 * For float32, μ and σ⁻¹ come from the node's optional Mean/InvStdDev outputs (no recomputation).
 */
const layerNorm: GradRule = (node, [g], ctx) => {
  const [x, scale, bias] = [node.input[0] ?? '', node.input[1] ?? '', node.input[2] ?? ''];
  const y = node.output[0] ?? '';
  if (!g) return [];
  const rank = ctx.info(x).dims.length;
  const axis = normAxis(attrInt(node, 'axis', -1), rank);
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const eps = attrFloat(node, 'epsilon', 1e-5);
  let mean: string;
  let inv: string;
  if (ctx.info(x).elemType === 1 && attrInt(node, 'stash_type', 1) === 1) {
    while (node.output.length < 3) node.output.push('');
    if (!node.output[1]) node.output[1] = ctx.freshName('ln_mean');
    if (!node.output[2]) node.output[2] = ctx.freshName('ln_invstd');
    mean = node.output[1] as string;
    inv = node.output[2] as string;
  } else {
    mean = ctx.reduceMean(x, axes, true);
    const xc0 = ctx.op('Sub', [x, mean]);
    const variance = ctx.reduceMean(ctx.op('Mul', [xc0, xc0]), axes, true);
    inv = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [variance, ctx.scalar(eps, x)])])]);
  }
  const xhat = ctx.op('Mul', [ctx.op('Sub', [x, mean]), inv]);
  const out: (string | undefined)[] = [undefined, undefined, undefined];
  if (ctx.needsGrad(scale)) out[1] = ctx.reduceTo(ctx.op('Mul', [g, xhat]), y, scale);
  if (bias && ctx.needsGrad(bias)) out[2] = ctx.reduceTo(g, y, bias);
  if (ctx.needsGrad(x)) {
    const gs = ctx.op('Mul', [g, scale]);
    const m1 = ctx.reduceMean(gs, axes, true);
    const m2 = ctx.reduceMean(ctx.op('Mul', [gs, xhat]), axes, true);
    const inner = ctx.op('Sub', [ctx.op('Sub', [gs, m1]), ctx.op('Mul', [xhat, m2])]);
    out[0] = ctx.op('Mul', [inner, inv]);
  }
  return out;
};

/** Axes of a reduction node (attribute before opset 18 / input from 13 for ReduceSum), normalised. */
function reduceAxes(node: NodeProto, ctx: GradContext, rank: number, axesFromInput: boolean): number[] {
  let axes: number[] | undefined;
  if (axesFromInput) {
    const name = node.input[1];
    if (name) {
      axes = ctx.intValues(name);
      if (!axes) throw unsupported(node, 'reduction axes are computed at run time');
    }
  } else axes = attrInts(node, 'axes');
  if (!axes || axes.length === 0) {
    if (attrInt(node, 'noop_with_empty_axes', 0)) return [];
    return Array.from({ length: rank }, (_, i) => i);
  }
  return axes.map((a) => normAxis(a, rank)).sort((p, q) => p - q);
}

function reduction(mean: boolean): GradRule {
  return (node, [g], ctx) => {
    const x = node.input[0] ?? '';
    const y = node.output[0] ?? '';
    if (!g || !ctx.needsGrad(x)) return [];
    const info = ctx.info(x);
    const rank = info.dims.length;
    const fromInput = node.opType === 'ReduceSum' ? ctx.opset >= 13 : ctx.opset >= 18;
    const axes = reduceAxes(node, ctx, rank, fromInput);
    if (axes.length === 0) return [g];
    let gk = attrInt(node, 'keepdims', 1) ? g : ctx.op('Unsqueeze', [g, ctx.ints(axes)]);
    if (mean) {
      const dynamic = axes.some((a) => info.dynamic[a]);
      const denom = dynamic
        ? ctx.op('Cast', [ctx.op('Div', [ctx.op('Size', [x]), ctx.op('Size', [y])])], { to: info.elemType })
        : ctx.scalar(
            axes.reduce((p, a) => p * (info.dims[a] as number), 1),
            x,
          );
      gk = ctx.op('Div', [gk, denom]);
    }
    return [ctx.op('Expand', [gk, ctx.shapeOf(x)])];
  };
}

export const normalizationRules: Record<string, GradRule> = {
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  LayerNormalization: layerNorm,
  ReduceMean: reduction(true),
  ReduceSum: reduction(false),
};
