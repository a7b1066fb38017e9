/**
 * Local graph patterns of a ViT: linear layers, LayerNorms, and walks through layout-only ops.
 */
import type { NodeProto } from 'onnx-buf';
import { attrFloat, attrInt, type GraphIndex } from '../onnx/graph.js';
import { resolveInitializer } from '../onnx/fold.js';
import { dimsOf } from '../onnx/tensor.js';
import type { LinearRef, NormRef, ParamRef } from './types.js';

/** Graph context: the index plus node → position map. */
export interface Ctx {
  idx: GraphIndex;
  pos: Map<NodeProto, number>;
}

export function makeCtx(idx: GraphIndex): Ctx {
  const pos = new Map<NodeProto, number>();
  idx.graph.node.forEach((n, i) => pos.set(n, i));
  return { idx, pos };
}

/** A reference to the initializer used by `node.input[input]`, or undefined if it is not one. */
export function paramAt(ctx: Ctx, node: NodeProto, input: number): ParamRef | undefined {
  const name = node.input[input];
  if (!name) return undefined;
  const init = resolveInitializer(ctx.idx, name);
  if (!init) return undefined;
  const t = ctx.idx.initializers.get(init);
  if (!t) return undefined;
  return { initializer: init, node: ctx.pos.get(node) ?? -1, input, dims: dimsOf(t) };
}

/** Parse a linear layer starting at a MatMul/Gemm node. */
export function parseLinear(ctx: Ctx, node: NodeProto): LinearRef | undefined {
  if (node.opType === 'Gemm') {
    const w = paramAt(ctx, node, 1);
    if (!w || w.dims.length !== 2) return undefined;
    if (attrInt(node, 'transA', 0) !== 0 || attrFloat(node, 'alpha', 1) !== 1 || attrFloat(node, 'beta', 1) !== 1)
      return undefined;
    const transB = attrInt(node, 'transB', 0) === 1;
    const [d0, d1] = w.dims as [number, number];
    const bias = node.input[2] ? paramAt(ctx, node, 2) : undefined;
    return {
      name: node.name,
      weight: w,
      bias,
      layout: transB ? 'out-in' : 'in-out',
      inFeatures: transB ? d1 : d0,
      outFeatures: transB ? d0 : d1,
      output: node.output[0] as string,
    };
  }
  if (node.opType !== 'MatMul') return undefined;
  const w = paramAt(ctx, node, 1);
  if (!w || w.dims.length !== 2) return undefined;
  const [inF, outF] = w.dims as [number, number];
  let output = node.output[0] as string;
  let bias: ParamRef | undefined;
  const add = ctx.idx.soleConsumer(output);
  if (add && add.opType === 'Add') {
    const slot = add.input[0] === output ? 1 : 0;
    const b = paramAt(ctx, add, slot);
    if (b && b.dims.length === 1 && b.dims[0] === outF) {
      bias = b;
      output = add.output[0] as string;
    }
  }
  return { name: node.name, weight: w, bias, layout: 'in-out', inFeatures: inF, outFeatures: outF, output };
}

/** Ops that only move data around (no arithmetic on channels), walked through when tracing. */
export const LAYOUT_OPS = new Set(['Transpose', 'Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten', 'Cast']);

/** Linear layers fed by `tensor`, directly or through layout ops. */
export function linearsFrom(ctx: Ctx, tensor: string): LinearRef[] {
  const out: LinearRef[] = [];
  const seen = new Set<NodeProto>();
  const stack = [tensor];
  while (stack.length) {
    const t = stack.pop() as string;
    for (const c of ctx.idx.consumersOf(t)) {
      if (seen.has(c)) continue;
      seen.add(c);
      if ((c.opType === 'MatMul' || c.opType === 'Gemm') && c.input[0] === t) {
        const l = parseLinear(ctx, c);
        if (l) out.push(l);
      } else if (c.opType === 'Transpose' && c.output[0]) stack.push(c.output[0]);
    }
  }
  return out.sort((a, b) => a.weight.node - b.weight.node);
}

/** Parse a LayerNorm whose input is `tensor`, if one consumes it. */
export function normAt(ctx: Ctx, tensor: string): NormRef | undefined {
  for (const c of ctx.idx.consumersOf(tensor)) {
    if (c.opType === 'LayerNormalization' && c.input[0] === tensor) {
      const gamma = paramAt(ctx, c, 1);
      if (!gamma) continue;
      return {
        kind: 'LayerNormalization',
        name: c.name,
        gamma,
        beta: c.input[2] ? paramAt(ctx, c, 2) : undefined,
        input: tensor,
        output: c.output[0] as string,
      };
    }
    if (c.opType === 'ReduceMean') {
      const d = decomposedNorm(ctx, tensor, c);
      if (d) return d;
    }
  }
  return undefined;
}

function decomposedNorm(ctx: Ctx, x: string, mean: NodeProto): NormRef | undefined {
  const { idx } = ctx;
  const sub = idx.consumersOf(mean.output[0] as string).find((n) => n.opType === 'Sub' && n.input[0] === x);
  if (!sub) return undefined;
  const subOut = sub.output[0] as string;
  const div = idx.consumersOf(subOut).find((n) => n.opType === 'Div' && n.input[0] === subOut);
  if (!div) return undefined;
  const divOut = div.output[0] as string;
  const mul = idx.soleConsumer(divOut);
  if (!mul || mul.opType !== 'Mul') return undefined;
  const gamma = paramAt(ctx, mul, mul.input[0] === divOut ? 1 : 0);
  if (!gamma) return undefined;
  let output = mul.output[0] as string;
  let beta: ParamRef | undefined;
  const add = idx.soleConsumer(output);
  if (add && add.opType === 'Add') {
    beta = paramAt(ctx, add, add.input[0] === output ? 1 : 0);
    if (beta) output = add.output[0] as string;
  }
  return { kind: 'decomposed', name: mean.name, gamma, beta, input: x, output };
}

/**
 * Breadth-first walk forward from `tensor`, visiting nodes until `stop(node)` is true for a node
 * (returned) or `limit` nodes were visited.
 */
export function findForward(
  ctx: Ctx,
  tensor: string,
  stop: (n: NodeProto) => boolean,
  limit = 200,
): NodeProto | undefined {
  const seen = new Set<NodeProto>();
  const queue = [tensor];
  while (queue.length && seen.size < limit) {
    const t = queue.shift() as string;
    for (const c of ctx.idx.consumersOf(t)) {
      if (seen.has(c)) continue;
      seen.add(c);
      if (stop(c)) return c;
      if (c.opType === 'Shape') continue;
      for (const o of c.output) if (o) queue.push(o);
    }
  }
  return undefined;
}

/** Follow `tensor` through layout ops to the Add that sums it with `residual`. */
export function residualAdd(ctx: Ctx, tensor: string, residual: string): NodeProto | undefined {
  let t = tensor;
  for (let i = 0; i < 8; i++) {
    const cs = ctx.idx.consumersOf(t).filter((n) => n.opType !== 'Shape');
    const add = cs.find((n) => n.opType === 'Add' && n.input.includes(residual) && n.input.includes(t));
    if (add) return add;
    const next = cs.find((n) => LAYOUT_OPS.has(n.opType));
    if (!next || !next.output[0]) return undefined;
    t = next.output[0];
  }
  return undefined;
}
