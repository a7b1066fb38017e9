/**
 * Attention and MLP sub-layer parsing: from the linears fed by a block's (normed) stream, find
 * q/k/v (fused or separate), Softmax, output projection, the head Reshapes and their head counts;
 * or fc1 → activation → fc2.
 */
import type { NodeProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { foldValues, shapeElements } from '../onnx/fold.js';
import { findForward, parseLinear, type Ctx } from './patterns.js';
import type { AttentionMap, HeadReshape, LinearRef, MlpMap } from './types.js';

const isLinearNode =
  (ctx: Ctx) =>
  (n: NodeProto): boolean =>
    (n.opType === 'MatMul' || n.opType === 'Gemm') && parseLinear(ctx, n) !== undefined;

/** The first Softmax or linear reached from a linear's output; tells attention from MLP. */
export function firstStop(ctx: Ctx, from: LinearRef): NodeProto | undefined {
  const linear = isLinearNode(ctx);
  return findForward(ctx, from.output, (n) => n.opType === 'Softmax' || linear(n));
}

const SPLIT_WALK = new Set([
  'Reshape',
  'Transpose',
  'Slice',
  'Split',
  'Squeeze',
  'Unsqueeze',
  'Gather',
  'Mul',
  'Div',
  'Identity',
  'Cast',
]);

function unsupported(node: string, what: string): PqvError {
  return new PqvError(
    'VIT_PATTERN_UNSUPPORTED',
    `Attention near node "${node}" does not match a supported pattern (${what}). Supported: timm fused qkv, Hugging Face query/key/value, torch nn.MultiheadAttention exports. Re-export with torch.onnx.export (opset 13-17) or report the model.`,
    { node },
  );
}

/** Reshape nodes between the q/k/v linears and the attention MatMuls. */
function splitReshapes(ctx: Ctx, from: LinearRef[]): NodeProto[] {
  const found: NodeProto[] = [];
  const seen = new Set<NodeProto>();
  const stack = from.map((l) => l.output);
  while (stack.length) {
    const t = stack.pop() as string;
    for (const c of ctx.idx.consumersOf(t)) {
      if (seen.has(c) || c.input[0] !== t || !SPLIT_WALK.has(c.opType)) continue;
      seen.add(c);
      if (c.opType === 'Reshape') found.push(c);
      for (const o of c.output) if (o) stack.push(o);
    }
  }
  return found;
}

function mergeReshape(ctx: Ctx, proj: NodeProto): NodeProto | undefined {
  let t = proj.input[0] as string;
  for (let i = 0; i < 6; i++) {
    const p = ctx.idx.producer.get(t);
    if (!p) return undefined;
    if (p.opType === 'Reshape') return p;
    if (p.opType !== 'Transpose' && p.opType !== 'Identity') return undefined;
    t = p.input[0] as string;
  }
  return undefined;
}

interface HeadGuess {
  heads?: number;
  headDim?: number;
}

function classify(ctx: Ctx, r: NodeProto, split: boolean): { ref: HeadReshape; guess: HeadGuess } {
  const els = shapeElements(ctx.idx, r.input[1] as string);
  if (!els) throw unsupported(r.name, 'Reshape target is neither constant nor a Concat');
  const ref = (form: HeadReshape['form']): HeadReshape => ({ node: ctx.pos.get(r) ?? -1, name: r.name, form });
  const K = els.length;
  if (!split) {
    if (K === 3) return { ref: ref('merge-bnc'), guess: {} };
    if (K === 2) return { ref: ref('merge-nb-c'), guess: {} };
    throw unsupported(r.name, `merge Reshape with ${K} dims`);
  }
  const v = (i: number): number | undefined => {
    const x = els[i]?.value;
    return x !== undefined && x > 0 ? x : undefined;
  };
  if (K === 5) return { ref: ref('split-bn3hd'), guess: { heads: v(3), headDim: v(4) } };
  if (K === 4) return { ref: ref('split-bnhd'), guess: { heads: v(2), headDim: v(3) } };
  if (K === 3) {
    // [N, B*H, Dh]: H is the constant factor of the middle element.
    let heads: number | undefined;
    let p = els[1]?.producer;
    while (p && (p.opType === 'Unsqueeze' || p.opType === 'Cast')) p = ctx.idx.producer.get(p.input[0] as string);
    if (p && p.opType === 'Mul') {
      heads = foldValues(ctx.idx, p.input[1] as string)?.[0] ?? foldValues(ctx.idx, p.input[0] as string)?.[0];
    }
    return { ref: ref('split-nbh-d'), guess: { heads, headDim: v(2) } };
  }
  throw unsupported(r.name, `split Reshape with ${K} dims`);
}

/** Trace a tensor back through single-input layout/scale ops. */
function traceBack(ctx: Ctx, t: string): string {
  let cur = t;
  for (let i = 0; i < 12; i++) {
    const p = ctx.idx.producer.get(cur);
    if (!p || !SPLIT_WALK.has(p.opType)) return cur;
    cur = p.input[0] as string;
  }
  return cur;
}

/** Parse an attention sub-layer; `softmax` is the first Softmax reached from `linears[0]`. */
export function parseAttention(ctx: Ctx, linears: LinearRef[], softmax: NodeProto): AttentionMap {
  const smOut = softmax.output[0] as string;
  const av = findForward(ctx, smOut, (n) => n.opType === 'MatMul');
  if (!av) throw unsupported(softmax.name, 'no MatMul after Softmax');
  const projNode = findForward(ctx, av.output[0] as string, isLinearNode(ctx));
  const proj = projNode ? parseLinear(ctx, projNode) : undefined;
  if (!proj || !projNode) throw unsupported(softmax.name, 'no output projection after attention');
  const inner = proj.inFeatures;
  let kind: AttentionMap['kind'];
  let qkv: LinearRef | undefined;
  let q: LinearRef | undefined;
  let k: LinearRef | undefined;
  let v: LinearRef | undefined;
  if (linears.length === 1) {
    kind = 'fused';
    qkv = linears[0] as LinearRef;
    if (qkv.outFeatures !== 3 * inner)
      throw unsupported(qkv.name, `fused qkv has ${qkv.outFeatures} outputs, expected 3 x ${inner}`);
  } else if (linears.length === 3) {
    kind = 'separate';
    if (linears.some((l) => l.outFeatures !== inner))
      throw unsupported(linears[0]?.name ?? softmax.name, 'q/k/v widths differ from the projection input');
    // v feeds the MatMul after Softmax; q is the left operand of the score MatMul.
    const vi = linears.findIndex((l) => av.input.some((i) => traceBack(ctx, i) === l.output));
    let scores = ctx.idx.producer.get(softmax.input[0] as string);
    while (scores && scores.opType !== 'MatMul') scores = ctx.idx.producer.get(scores.input[0] as string);
    const qi = scores ? linears.findIndex((l) => traceBack(ctx, scores?.input[0] as string) === l.output) : -1;
    const rest = [0, 1, 2].filter((i) => i !== vi && i !== qi);
    const order = vi >= 0 && qi >= 0 && rest.length === 1 ? [qi, rest[0] as number, vi] : [0, 1, 2];
    [q, k, v] = order.map((i) => linears[i] as LinearRef);
  } else {
    throw unsupported(
      linears[0]?.name ?? softmax.name,
      `${linears.length} input linears (expected 1 fused or 3 separate)`,
    );
  }
  const reshapes: HeadReshape[] = [];
  const guesses: HeadGuess[] = [];
  for (const r of splitReshapes(ctx, linears)) {
    const c = classify(ctx, r, true);
    reshapes.push(c.ref);
    guesses.push(c.guess);
  }
  const merge = mergeReshape(ctx, projNode);
  if (merge) reshapes.push(classify(ctx, merge, false).ref);
  let headDim = guesses.find((g) => g.headDim)?.headDim;
  let heads = guesses.find((g) => g.heads)?.heads;
  if (headDim) heads = inner / headDim;
  else if (heads) headDim = inner / heads;
  if (!heads || !headDim || !Number.isInteger(heads) || !Number.isInteger(headDim)) {
    throw unsupported(reshapes[0]?.name ?? softmax.name, 'cannot read the number of heads from the head Reshapes');
  }
  return { kind, qkv, q, k, v, proj, heads, headDim, inner, reshapes, softmax: softmax.name };
}

/** Parse an MLP sub-layer from its fc1. */
export function parseMlp(ctx: Ctx, fc1: LinearRef, fc2Node: NodeProto): MlpMap {
  const fc2 = parseLinear(ctx, fc2Node);
  if (!fc2 || fc2.inFeatures !== fc1.outFeatures) {
    throw new PqvError(
      'VIT_PATTERN_UNSUPPORTED',
      `MLP at "${fc1.name}": "${fc2Node.name}" does not consume ${fc1.outFeatures} features.`,
      { node: fc2Node.name },
    );
  }
  const ops = new Set<string>();
  findForward(ctx, fc1.output, (n) => {
    ops.add(n.opType);
    return n === fc2Node;
  });
  const activation: MlpMap['activation'] = ops.has('Erf')
    ? 'gelu-erf'
    : ops.has('Gelu')
      ? 'gelu'
      : ops.has('Tanh')
        ? 'gelu-tanh'
        : ops.has('Relu')
          ? 'relu'
          : ops.has('Sigmoid')
            ? 'silu'
            : 'other';
  return { fc1, fc2, activation, hidden: fc1.outFeatures };
}
