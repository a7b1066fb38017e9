/**
 * Static QDQ quantization: which tensors of which nodes get QuantizeLinear/DequantizeLinear pairs
 * (the plan), and rewriting the graph from a plan and activation ranges.
 *
 * Activations: one Q/DQ pair per tensor, shared by the quantized consumers. Weights: quantized
 * initializers + DequantizeLinear (per channel along the output-channel axis, or per tensor).
 * Bias of Gemm/Conv: int32 with scale = activation scale · weight scale, zero point 0.
 * 16-bit activations use the com.microsoft QuantizeLinear/DequantizeLinear (ONNX ≤ 20 allows 8-bit only).
 */
import type { ModelProto, NodeProto, TensorProto } from 'onnx-buf';
import { GraphIndex, attrInt, makeNode, topologicalOrder, uniqueNamer } from '../onnx/graph.js';
import { DataType, dimsOf, makeFloat32Tensor, makeRawTensor, readFloat32 } from '../onnx/tensor.js';
import { MS_DOMAIN, ensureOpset } from './model-utils.js';
import { computeQParams, encodeInts, onnxTypeOf, quantizeWeight, roundHalfEven, type QParams } from './qdq-math.js';
import type { QuantType, TensorRange } from './types.js';

/** How the static quantizer shapes the graph (filled from the backend profile and user flags). */
export interface StaticQuantConfig {
  /** Op types whose inputs are quantized. */
  opTypes: readonly string[];
  activationType: QuantType;
  /** Symmetric activations (zero point 0 / mid-range). Default false. */
  activationSymmetric: boolean;
  weightType: QuantType;
  weightSymmetric: boolean;
  /** Per-channel weights (output-channel axis); else per tensor. */
  perChannel: boolean;
  /** Also quantize the outputs of quantized nodes (fully integer graphs for NPUs). */
  quantizeOutputs: boolean;
  /** Quantize constant operands of elementwise ops (else such nodes stay float). */
  constantOperands: boolean;
  /** Node names (or first outputs) kept in float. */
  keepFloat: readonly string[];
}

/** One weight input of a planned node. */
export interface WeightSlot {
  slot: number;
  name: string;
  /** Per-channel axis; undefined = per tensor. */
  axis?: number;
}

/** A node the plan quantizes. */
export interface QuantTarget {
  /** Stable id: node name, or its first output when unnamed. */
  id: string;
  node: NodeProto;
  /** Input slots holding runtime float tensors to quantize. */
  activationSlots: number[];
  weights: WeightSlot[];
  /** Bias slot of Gemm/Conv (int32). */
  biasSlot?: number;
  /** Float outputs to quantize (when `quantizeOutputs`). */
  outputs: string[];
}

/** Input slots considered for quantization, by op type ('all' = every input). */
const SLOTS: Record<string, number[] | 'all'> = {
  MatMul: [0, 1],
  Gemm: [0, 1],
  Conv: [0, 1],
  Add: [0, 1],
  Sub: [0, 1],
  Mul: [0, 1],
  Div: [0, 1],
  Concat: 'all',
  Where: [1, 2],
};
const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** The constant behind `name`, following Identity nodes (exports route shared weights through Identity). */
export function resolveConstant(idx: GraphIndex, name: string): TensorProto | undefined {
  let cur = name;
  for (let hops = 0; hops < 8; hops++) {
    const c = idx.constantTensor(cur);
    if (c) return c;
    const p = idx.producer.get(cur);
    if (!p || p.opType !== 'Identity' || !p.input[0]) return undefined;
    cur = p.input[0];
  }
  return undefined;
}

export function nodeId(n: NodeProto): string {
  return n.name || n.output[0] || n.opType;
}

function weightAxis(n: NodeProto, w: TensorProto): number | undefined {
  const rank = w.dims.length;
  if (n.opType === 'Conv') return 0;
  if (n.opType === 'Gemm') return attrInt(n, 'transB', 0) ? 0 : 1;
  if (n.opType === 'MatMul') return rank >= 2 ? rank - 1 : undefined;
  return undefined;
}

/**
 * Decide which nodes and tensors to quantize. `types` maps tensor names to ONNX element types
 * (from `probeTensorTypes`); only float32 tensors are quantized.
 */
export function planStatic(model: ModelProto, types: Map<string, number>, cfg: StaticQuantConfig): QuantTarget[] {
  const g = model.graph;
  if (!g) return [];
  const idx = new GraphIndex(g);
  const ops = new Set(cfg.opTypes);
  const keep = new Set(cfg.keepFloat);
  const plan: QuantTarget[] = [];
  for (const n of g.node) {
    if (n.domain !== '' || !ops.has(n.opType) || keep.has(nodeId(n)) || keep.has(n.name)) continue;
    const spec = SLOTS[n.opType] ?? [0];
    const slots = spec === 'all' ? n.input.map((_, i) => i) : spec;
    const t: QuantTarget = { id: nodeId(n), node: n, activationSlots: [], weights: [], outputs: [] };
    let skip = false;
    for (const slot of slots) {
      const x = n.input[slot];
      if (!x || types.get(x) !== DataType.FLOAT) continue;
      const c = resolveConstant(idx, x);
      if (c) {
        if (WEIGHT_OPS.has(n.opType) && slot === 1)
          t.weights.push({ slot, name: x, axis: cfg.perChannel ? weightAxis(n, c) : undefined });
        else if (cfg.constantOperands) t.weights.push({ slot, name: x });
        else if (ELEMENTWISE.has(n.opType)) skip = true;
      } else t.activationSlots.push(slot);
    }
    if (skip || t.activationSlots.length === 0) continue;
    const bias = n.input[2];
    if (
      (n.opType === 'Gemm' || n.opType === 'Conv') &&
      bias &&
      resolveConstant(idx, bias) &&
      t.weights.length > 0 &&
      t.activationSlots.includes(0)
    ) {
      t.biasSlot = 2;
    }
    if (cfg.quantizeOutputs) t.outputs = n.output.filter((o) => o && types.get(o) === DataType.FLOAT);
    plan.push(t);
  }
  return plan;
}

/** Runtime tensors whose ranges the plan needs. */
export function planTensors(plan: readonly QuantTarget[]): string[] {
  const names = new Set<string>();
  for (const t of plan) {
    for (const s of t.activationSlots) {
      const x = t.node.input[s];
      if (x) names.add(x);
    }
    for (const o of t.outputs) names.add(o);
  }
  return [...names];
}

/**
 * Rewrite `model` in place from a plan made on it (`planStatic(model, …)`). Nodes whose id is in
 * `only` (when given) are the only ones quantized. Returns the number of quantized nodes.
 */
export function applyStatic(
  model: ModelProto,
  plan: readonly QuantTarget[],
  ranges: ReadonlyMap<string, TensorRange>,
  cfg: StaticQuantConfig,
  only?: ReadonlySet<string>,
  gates?: ReadonlyMap<string, string>,
): number {
  const g = model.graph;
  if (!g) return 0;
  const idx = new GraphIndex(g);
  const fresh = uniqueNamer(g);
  const targets = plan.filter((t) => !only || only.has(t.id));
  const wide = cfg.activationType === 'uint16' || cfg.activationType === 'int16';
  const qdqDomain = wide ? MS_DOMAIN : '';
  if (wide) ensureOpset(model, MS_DOMAIN);
  const actQ = new Map<string, { dq: string; p: QParams }>();
  const added: NodeProto[] = [];
  /**
   * With `gates` (target id → scalar float input), a quantized input is blended instead of replaced:
   * x + g·(dq − x), so one model measures any layer alone by feeding a one-hot gate vector.
   */
  const use = (targetId: string, original: string, dq: string): string => {
    const gate = gates?.get(targetId);
    if (!gate) return dq;
    const d = fresh(`${dq}_delta`);
    const gd = fresh(`${dq}_gated`);
    const out = fresh(`${dq}_blend`);
    added.push(makeNode('Sub', [dq, original], [d], {}, fresh(`${d}_Sub`)));
    added.push(makeNode('Mul', [d, gate], [gd], {}, fresh(`${gd}_Mul`)));
    added.push(makeNode('Add', [original, gd], [out], {}, fresh(`${out}_Add`)));
    return out;
  };

  const quantizeActivation = (x: string): { dq: string; p: QParams } | undefined => {
    const have = actQ.get(x);
    if (have) return have;
    const r = ranges.get(x);
    if (!r) return undefined;
    const p = computeQParams(r, cfg.activationType, cfg.activationSymmetric);
    const s = fresh(`${x}_scale`);
    const z = fresh(`${x}_zero_point`);
    g.initializer.push(makeFloat32Tensor(s, [], [p.scale]));
    g.initializer.push(
      makeRawTensor(z, onnxTypeOf(cfg.activationType), [], encodeInts([p.zeroPoint], cfg.activationType)),
    );
    const q = fresh(`${x}_quantized`);
    const dq = fresh(`${x}_dequantized`);
    added.push(makeNode('QuantizeLinear', [x, s, z], [q], {}, fresh(`${x}_QuantizeLinear`), qdqDomain));
    added.push(makeNode('DequantizeLinear', [q, s, z], [dq], {}, fresh(`${x}_DequantizeLinear`), qdqDomain));
    const v = { dq, p };
    actQ.set(x, v);
    return v;
  };

  const weightQ = new Map<string, { dq: string; params: QParams[] }>();
  const quantizeWeightInput = (w: WeightSlot): { dq: string; params: QParams[] } | undefined => {
    const key = `${w.name}|${w.axis ?? 'tensor'}`;
    const have = weightQ.get(key);
    if (have) return have;
    const t = resolveConstant(idx, w.name);
    if (!t) return undefined;
    const dims = dimsOf(t);
    const qw = quantizeWeight(readFloat32(t), dims, cfg.weightType, cfg.weightSymmetric, w.axis);
    const base = w.name;
    const qName = fresh(`${base}_quantized`);
    const s = fresh(`${base}_scale`);
    const z = fresh(`${base}_zero_point`);
    const pDims = w.axis === undefined ? [] : [qw.params.length];
    g.initializer.push(makeRawTensor(qName, onnxTypeOf(cfg.weightType), dims, encodeInts(qw.values, cfg.weightType)));
    g.initializer.push(
      makeFloat32Tensor(
        s,
        pDims,
        qw.params.map((p) => p.scale),
      ),
    );
    g.initializer.push(
      makeRawTensor(
        z,
        onnxTypeOf(cfg.weightType),
        pDims,
        encodeInts(
          qw.params.map((p) => p.zeroPoint),
          cfg.weightType,
        ),
      ),
    );
    const dq = fresh(`${base}_dequantized`);
    const attrs: Record<string, number> = w.axis === undefined ? {} : { axis: w.axis };
    added.push(makeNode('DequantizeLinear', [qName, s, z], [dq], attrs, fresh(`${base}_DequantizeLinear`)));
    const v = { dq, params: qw.params };
    weightQ.set(key, v);
    return v;
  };

  for (const t of targets) {
    const n = t.node;
    const acts = new Map<number, QParams>();
    for (const slot of t.activationSlots) {
      const x = n.input[slot];
      const q = x ? quantizeActivation(x) : undefined;
      if (!q) continue;
      n.input[slot] = use(t.id, x as string, q.dq);
      acts.set(slot, q.p);
    }
    const wParams = new Map<number, QParams[]>();
    for (const w of t.weights) {
      const q = quantizeWeightInput(w);
      if (!q) continue;
      n.input[w.slot] = use(t.id, w.name, q.dq);
      wParams.set(w.slot, q.params);
    }
    const xp = acts.get(0);
    const wp = wParams.get(1);
    const biasName = t.biasSlot !== undefined ? n.input[t.biasSlot] : undefined;
    if (biasName && xp && wp && t.biasSlot !== undefined) {
      const b = resolveConstant(idx, biasName);
      if (b) {
        const data = readFloat32(b);
        const perChannel = wp.length > 1;
        const scales = perChannel
          ? wp.map((p) => Math.fround(xp.scale * p.scale))
          : [Math.fround(xp.scale * (wp[0] as QParams).scale)];
        const ints = Array.from(data, (v, i) => {
          const sc = scales[perChannel ? i : 0] as number;
          return Math.max(-2147483648, Math.min(2147483647, roundHalfEven(v / sc)));
        });
        const qName = fresh(`${biasName}_quantized`);
        const s = fresh(`${biasName}_scale`);
        g.initializer.push(makeRawTensor(qName, DataType.INT32, dimsOf(b), encodeInts(ints, 'int32')));
        g.initializer.push(makeFloat32Tensor(s, perChannel ? [scales.length] : [], scales));
        const dq = fresh(`${biasName}_dequantized`);
        added.push(
          makeNode(
            'DequantizeLinear',
            [qName, s],
            [dq],
            perChannel ? { axis: 0 } : {},
            fresh(`${biasName}_DequantizeLinear`),
          ),
        );
        n.input[t.biasSlot] = use(t.id, biasName, dq);
      }
    }
  }
  // Outputs of quantized nodes (fully quantized graphs): every consumer reads the Q/DQ'd tensor.
  for (const t of targets) {
    for (const o of t.outputs) {
      const users = idx.consumersOf(o);
      if (users.length === 0) continue;
      const q = quantizeActivation(o);
      if (!q) continue;
      const v = use(t.id, o, q.dq);
      for (const u of users) u.input = u.input.map((x) => (x === o ? v : x));
    }
  }
  g.node.push(...added);
  g.valueInfo = [];
  g.node = topologicalOrder(g);
  return targets.length;
}
