/**
 * FP32 → FP16 conversion: weights, constants and compute in float16, with
 * - float32 graph inputs/outputs kept by default (Casts at the boundary),
 * - a block list of op types (and node names) kept in float32 with Casts around them,
 * - decomposed LayerNorm statistics (opset < 17) kept in float32,
 * - constants clamped to the float16 range, integer (shape) tensors untouched,
 * - redundant Cast pairs removed.
 * Tensor element types come from one ONNX Runtime run of the float model (`probeTensorTypes`).
 */
import type { ModelProto, NodeProto, TensorProto } from 'onnx-buf';
import {
  GraphIndex,
  attrInt,
  makeNode,
  removeDeadNodes,
  setAttr,
  topologicalOrder,
  uniqueNamer,
} from '../onnx/graph.js';
import { DataType, dimsOf, float32ToFloat16, makeRawTensor, readFloat32 } from '../onnx/tensor.js';
import { findDecomposedLayerNorms } from './layernorm-pattern.js';
import { probeTensorTypes } from './model-utils.js';
import { cloneModel } from '../onnx/model-io.js';

/** Options of `convertToFp16`. */
export interface Fp16Options {
  /** Keep float32 graph inputs and outputs (Casts inserted at the boundary). Default true. */
  keepIoTypes?: boolean;
  /** Op types computed in float32 (Casts around them). */
  blockList?: readonly string[];
  /** Node names computed in float32. */
  keepNodes?: readonly string[];
  /** Keep decomposed LayerNorm statistics in float32. Default true. */
  keepLayerNormFp32?: boolean;
}

/** Op types kept in float32 by default: no float16 meaning (random generators) or float16 loses too much. */
export const DEFAULT_FP16_BLOCK_LIST: readonly string[] = [
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Range',
];

/** Input slots that must stay float32 whatever the compute type (ONNX spec: Resize roi/scales). */
const FP32_SLOTS: Record<string, number[]> = { Resize: [1, 2] };

const FP16_MAX = 65504;

export interface Fp16Result {
  model: ModelProto;
  /** Names (or first outputs) of nodes kept in float32. */
  fp32Nodes: string[];
  /** Nodes computing in float16. */
  fp16Nodes: number;
  /** Constants whose values were clamped to ±65504. */
  clampedConstants: number;
}

function toHalfTensor(t: TensorProto, name: string): { tensor: TensorProto; clamped: boolean } {
  const f = readFloat32(t);
  let clamped = false;
  for (let i = 0; i < f.length; i++) {
    const v = f[i] as number;
    if (v > FP16_MAX) {
      f[i] = FP16_MAX;
      clamped = true;
    } else if (v < -FP16_MAX) {
      f[i] = -FP16_MAX;
      clamped = true;
    }
  }
  const bits = float32ToFloat16(f);
  return {
    tensor: makeRawTensor(name, DataType.FLOAT16, dimsOf(t), new Uint8Array(bits.buffer as ArrayBuffer)),
    clamped,
  };
}

/** Convert a float32 model to float16. */
export async function convertToFp16(source: ModelProto, opts: Fp16Options = {}): Promise<Fp16Result> {
  const keepIo = opts.keepIoTypes ?? true;
  const types = await probeTensorTypes(source);
  const model = cloneModel(source);
  const g = model.graph;
  if (!g) throw new Error('model without graph');
  const idx = new GraphIndex(g);
  const fresh = uniqueNamer(g);
  const isFloat = (name: string): boolean => types.get(name) === DataType.FLOAT;

  // 1. Nodes kept in float32.
  const block = new Set([...DEFAULT_FP16_BLOCK_LIST, ...(opts.blockList ?? [])]);
  const keepNames = new Set(opts.keepNodes ?? []);
  const kept = new Set<NodeProto>();
  for (const n of g.node) if (n.opType !== 'Constant' && (block.has(n.opType) || keepNames.has(n.name))) kept.add(n);
  if (opts.keepLayerNormFp32 ?? true)
    for (const group of findDecomposedLayerNorms(idx)) for (const n of group) kept.add(n);

  const constantNodes = new Map<string, NodeProto>();
  for (const n of g.node) if (n.opType === 'Constant' && n.output[0]) constantNodes.set(n.output[0], n);
  const isConst = (name: string): boolean => idx.initializers.has(name) || constantNodes.has(name);
  const inputNames = new Set(g.input.map((i) => i.name));
  /** Whether a runtime float tensor is float16 after conversion. */
  const isHalfRuntime = (name: string): boolean => {
    if (!isFloat(name) || isConst(name)) return false;
    if (inputNames.has(name)) return !keepIo;
    const p = idx.producer.get(name);
    return !!p && !kept.has(p);
  };
  const wantsFp32 = (n: NodeProto, slot: number): boolean =>
    kept.has(n) || (FP32_SLOTS[n.opType]?.includes(slot) ?? false);

  const newNodes: NodeProto[] = [];
  let clampedConstants = 0;

  // 2. Constants (initializers and Constant nodes): fp16 for fp16 consumers, fp32 copy kept when needed.
  const halfName = new Map<string, string>();
  for (const name of [...idx.initializers.keys(), ...constantNodes.keys()]) {
    if (!isFloat(name)) continue;
    const consumers = idx.consumersOf(name);
    const halfUses = consumers.flatMap((n) =>
      n.input.map((x, slot) => ({ n, slot, x })).filter((u) => u.x === name && !wantsFp32(u.n, u.slot)),
    );
    if (halfUses.length === 0) continue;
    const fullUses =
      consumers.some((n) => n.input.some((x, slot) => x === name && wantsFp32(n, slot))) || idx.graphOutputs.has(name);
    const target = fullUses ? fresh(`${name}_fp16`) : name;
    const init = idx.initializers.get(name);
    const cnode = constantNodes.get(name);
    const src = init ?? cnode?.attribute.find((a) => a.name === 'value')?.t;
    if (!src) continue;
    const { tensor, clamped } = toHalfTensor(src, init ? target : '');
    if (clamped) clampedConstants++;
    if (init) {
      if (fullUses) g.initializer.push(tensor);
      else {
        init.dataType = DataType.FLOAT16;
        init.rawData = tensor.rawData;
        init.floatData = [];
      }
    } else if (cnode) {
      if (fullUses)
        newNodes.push(makeNode('Constant', [], [target], { value: tensor }, fresh(`${cnode.name || name}_fp16`)));
      else setAttr(cnode, 'value', tensor);
    }
    for (const u of halfUses) u.n.input[u.slot] = target;
    halfName.set(name, target);
  }

  // 3. Node attributes that create float tensors.
  let fp16Nodes = 0;
  for (const n of g.node) {
    if (kept.has(n) || n.opType === 'Constant') continue;
    if (n.opType === 'Cast' && attrInt(n, 'to', 0) === DataType.FLOAT) setAttr(n, 'to', DataType.FLOAT16);
    if (n.opType === 'ConstantOfShape') {
      const v = n.attribute.find((a) => a.name === 'value')?.t;
      if (v && v.dataType === DataType.FLOAT) setAttr(n, 'value', toHalfTensor(v, v.name).tensor);
    }
    if (n.output.some((o) => isFloat(o))) fp16Nodes++;
  }

  // 4. Casts into float32 slots (kept nodes, Resize scales) from float16 runtime tensors.
  const toFloat = new Map<string, string>();
  for (const n of g.node) {
    n.input.forEach((x, slot) => {
      if (!x || !wantsFp32(n, slot) || !isHalfRuntime(x)) return;
      let casted = toFloat.get(x);
      if (!casted) {
        casted = fresh(`${x}_fp32`);
        newNodes.push(makeNode('Cast', [x], [casted], { to: DataType.FLOAT }, fresh(`${x}_to_fp32`)));
        toFloat.set(x, casted);
      }
      n.input[slot] = casted;
    });
  }

  // 5. Casts out of kept nodes into float16 consumers.
  for (const k of kept) {
    for (const o of k.output) {
      if (!o || !isFloat(o)) continue;
      const halfConsumers = idx
        .consumersOf(o)
        .filter((c) => !kept.has(c) && c.input.some((x, s) => x === o && !wantsFp32(c, s)));
      if (halfConsumers.length === 0) continue;
      const casted = fresh(`${o}_fp16`);
      newNodes.push(makeNode('Cast', [o], [casted], { to: DataType.FLOAT16 }, fresh(`${o}_to_fp16`)));
      for (const c of halfConsumers) c.input = c.input.map((x, s) => (x === o && !wantsFp32(c, s) ? casted : x));
    }
  }

  // 6. Graph boundary.
  for (const i of g.input) {
    if (!isFloat(i.name) || idx.initializers.has(i.name)) continue;
    if (keepIo) {
      const users = idx.consumersOf(i.name).filter((c) => c.input.some((x, s) => x === i.name && !wantsFp32(c, s)));
      if (users.length === 0) continue;
      const casted = fresh(`${i.name}_fp16`);
      newNodes.unshift(makeNode('Cast', [i.name], [casted], { to: DataType.FLOAT16 }, fresh(`${i.name}_to_fp16`)));
      for (const c of users) c.input = c.input.map((x, s) => (x === i.name && !wantsFp32(c, s) ? casted : x));
    } else if (i.type?.value.case === 'tensorType') i.type.value.value.elemType = DataType.FLOAT16;
  }
  for (const o of g.output) {
    if (!isFloat(o.name) || !isHalfRuntime(o.name)) continue;
    if (!keepIo) {
      if (o.type?.value.case === 'tensorType') o.type.value.value.elemType = DataType.FLOAT16;
      continue;
    }
    const renamed = fresh(`${o.name}_fp16`);
    const p = idx.producer.get(o.name);
    if (p) p.output = p.output.map((x) => (x === o.name ? renamed : x));
    for (const c of idx.consumersOf(o.name)) c.input = c.input.map((x) => (x === o.name ? renamed : x));
    newNodes.push(makeNode('Cast', [renamed], [o.name], { to: DataType.FLOAT }, fresh(`${o.name}_to_fp32`)));
  }

  g.node.push(...newNodes);
  g.valueInfo = [];
  const created = new Map<string, number>();
  for (const n of newNodes) if (n.opType === 'Cast' && n.output[0]) created.set(n.output[0], attrInt(n, 'to', 0));
  const halfConsts = new Set(halfName.values());
  const typeAfter = (name: string): number | undefined => {
    if (created.has(name)) return created.get(name);
    if (halfConsts.has(name)) return DataType.FLOAT16;
    if (isHalfRuntime(name)) return DataType.FLOAT16;
    return types.get(name);
  };
  removeRedundantCasts(model, typeAfter);
  removeDeadNodes(g);
  g.node = topologicalOrder(g);
  return {
    model,
    fp32Nodes: [...kept].map((n) => n.name || n.output[0] || n.opType),
    fp16Nodes,
    clampedConstants,
  };
}

/**
 * Remove Cast→Cast pairs between float types whose second Cast returns to the first Cast's input type
 * (fp32→fp16→fp32 or fp16→fp32→fp16): consumers of the second Cast read the original tensor.
 */
export function removeRedundantCasts(model: ModelProto, typeOf: (name: string) => number | undefined): number {
  const g = model.graph;
  if (!g) return 0;
  const floatTypes = new Set<number>([DataType.FLOAT, DataType.FLOAT16]);
  let removed = 0;
  const idx = new GraphIndex(g);
  for (const c2 of g.node) {
    if (c2.opType !== 'Cast' || !c2.input[0] || !c2.output[0]) continue;
    const c1 = idx.producer.get(c2.input[0]);
    if (!c1 || c1.opType !== 'Cast' || !c1.input[0]) continue;
    const mid = attrInt(c1, 'to', 0);
    const back = attrInt(c2, 'to', 0);
    if (!floatTypes.has(mid) || !floatTypes.has(back) || mid === back || typeOf(c1.input[0]) !== back) continue;
    if (idx.graphOutputs.has(c2.output[0])) continue;
    const origin = c1.input[0];
    for (const c of idx.consumersOf(c2.output[0])) c.input = c.input.map((x) => (x === c2.output[0] ? origin : x));
    removed++;
  }
  return removed;
}
