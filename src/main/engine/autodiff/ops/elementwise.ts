/**
 * Gradient rules of element-wise ops (with numpy broadcasting): Add, Sub, Mul, Div, Pow, Sqrt, Erf,
 * Relu, Neg, Exp, Log, Tanh, Sigmoid, Where, Identity, Cast.
 */
import type { NodeProto } from 'onnx-buf';
import { attrInt } from '../../onnx/graph.js';
import { unsupported } from '../context.js';
import { FLOAT_TYPES, type GradContext, type GradRule } from '../types.js';

type In = string | undefined;

function io(node: NodeProto): { a: string; b: string; y: string } {
  return { a: node.input[0] ?? '', b: node.input[1] ?? '', y: node.output[0] ?? '' };
}

/** Gradient for input `x` of an element-wise op: `local` (shaped like the output) reduced to x's shape. */
function toInput(ctx: GradContext, local: string, y: string, x: string): In {
  return ctx.reduceTo(local, y, x);
}

const add: GradRule = (node, [g], ctx) => {
  const { a, b, y } = io(node);
  if (!g) return [];
  return [ctx.needsGrad(a) ? toInput(ctx, g, y, a) : undefined, ctx.needsGrad(b) ? toInput(ctx, g, y, b) : undefined];
};

const sub: GradRule = (node, [g], ctx) => {
  const { a, b, y } = io(node);
  if (!g) return [];
  return [
    ctx.needsGrad(a) ? toInput(ctx, g, y, a) : undefined,
    ctx.needsGrad(b) ? toInput(ctx, ctx.op('Neg', [g]), y, b) : undefined,
  ];
};

const mul: GradRule = (node, [g], ctx) => {
  const { a, b, y } = io(node);
  if (!g) return [];
  return [
    ctx.needsGrad(a) ? toInput(ctx, ctx.op('Mul', [g, b]), y, a) : undefined,
    ctx.needsGrad(b) ? toInput(ctx, ctx.op('Mul', [g, a]), y, b) : undefined,
  ];
};

const div: GradRule = (node, [g], ctx) => {
  const { a, b, y } = io(node);
  if (!g) return [];
  const ga = ctx.needsGrad(a) || ctx.needsGrad(b) ? ctx.op('Div', [g, b]) : undefined;
  return [
    ctx.needsGrad(a) && ga ? toInput(ctx, ga, y, a) : undefined,
    // d(a/b)/db = -a/b² = -y/b
    ctx.needsGrad(b) && ga ? toInput(ctx, ctx.op('Neg', [ctx.op('Mul', [ga, y])]), y, b) : undefined,
  ];
};

const pow: GradRule = (node, [g], ctx) => {
  const { a, b, y } = io(node);
  if (!g) return [];
  if (ctx.needsGrad(b)) throw unsupported(node, 'the exponent depends on a weight');
  if (!ctx.needsGrad(a)) return [];
  const e = ctx.intValues(b) ?? undefined;
  let local: string;
  if (e && e.length === 1 && e[0] === 2) local = ctx.op('Mul', [g, ctx.op('Mul', [a, ctx.scalar(2, a)])]);
  else {
    // g · e · a^(e-1), with e cast to a's type
    const ef = ctx.info(b).elemType === ctx.info(a).elemType ? b : ctx.op('Cast', [b], { to: ctx.info(a).elemType });
    const em1 = ctx.op('Sub', [ef, ctx.scalar(1, a)]);
    local = ctx.op('Mul', [g, ctx.op('Mul', [ef, ctx.op('Pow', [a, em1])])]);
  }
  return [toInput(ctx, local, y, a), undefined];
};

function unary(local: (ctx: GradContext, x: string, y: string, g: string) => string): GradRule {
  return (node, [g], ctx) => {
    const x = node.input[0] ?? '';
    const y = node.output[0] ?? '';
    if (!g || !ctx.needsGrad(x)) return [];
    return [local(ctx, x, y, g)];
  };
}

const sqrt = unary((ctx, x, y, g) => ctx.op('Div', [ctx.op('Mul', [g, ctx.scalar(0.5, x)]), y]));
// erf'(x) = 2/√π · exp(−x²) = exp(ln(2/√π) − x²): one op fewer on large activations.
const erf = unary((ctx, x, _y, g) => {
  const e = ctx.op('Exp', [ctx.op('Sub', [ctx.scalar(Math.log(2 / Math.sqrt(Math.PI)), x), ctx.op('Mul', [x, x])])]);
  return ctx.op('Mul', [g, e]);
});
const relu = unary((ctx, x, _y, g) => ctx.op('Where', [ctx.op('Greater', [x, ctx.scalar(0, x)]), g, ctx.scalar(0, x)]));
const neg = unary((ctx, _x, _y, g) => ctx.op('Neg', [g]));
const exp = unary((ctx, _x, y, g) => ctx.op('Mul', [g, y]));
const log = unary((ctx, x, _y, g) => ctx.op('Div', [g, x]));
const tanh = unary((ctx, x, y, g) => ctx.op('Mul', [g, ctx.op('Sub', [ctx.scalar(1, x), ctx.op('Mul', [y, y])])]));
const sigmoid = unary((ctx, x, y, g) => ctx.op('Mul', [g, ctx.op('Mul', [y, ctx.op('Sub', [ctx.scalar(1, x), y])])]));
const identity = unary((_ctx, _x, _y, g) => g);

const cast: GradRule = (node, [g], ctx) => {
  const x = node.input[0] ?? '';
  if (!g || !ctx.needsGrad(x)) return [];
  const t = ctx.info(x).elemType;
  if (!FLOAT_TYPES.has(attrInt(node, 'to', 0))) return [];
  return [t === attrInt(node, 'to', 0) ? g : ctx.op('Cast', [g], { to: t })];
};

const where: GradRule = (node, [g], ctx) => {
  const [c, a, b] = [node.input[0] ?? '', node.input[1] ?? '', node.input[2] ?? ''];
  const y = node.output[0] ?? '';
  if (!g) return [];
  const zero = ctx.scalar(0, y);
  return [
    undefined,
    ctx.needsGrad(a) ? toInput(ctx, ctx.op('Where', [c, g, zero]), y, a) : undefined,
    ctx.needsGrad(b) ? toInput(ctx, ctx.op('Where', [c, zero, g]), y, b) : undefined,
  ];
};

export const elementwiseRules: Record<string, GradRule> = {
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Pow: pow,
  Sqrt: sqrt,
  Erf: erf,
  Relu: relu,
  Neg: neg,
  Exp: exp,
  Log: log,
  Tanh: tanh,
  Sigmoid: sigmoid,
  Identity: identity,
  Cast: cast,
  Where: where,
};
