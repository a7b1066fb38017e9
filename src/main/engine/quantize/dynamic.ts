/**
 * Dynamic int8 quantization: weights quantized offline (int8 symmetric, per channel or per tensor),
 * activations quantized at run time.
 * - MatMul with a constant 2-D weight (and Gemm) → com.microsoft DynamicQuantizeMatMul, folding a
 *   following bias Add (ONNX Runtime CPU kernel; per-column weight scales supported).
 * - Conv → DynamicQuantizeLinear + ConvInteger + Cast + scale Mul (+ bias Add), standard ONNX ops.
 */
import type { ModelProto, NodeProto } from 'onnx-buf';
import {
  GraphIndex,
  attrFloat,
  attrInt,
  makeNode,
  removeDeadNodes,
  topologicalOrder,
  uniqueNamer,
} from '../onnx/graph.js';
import { DataType, dimsOf, makeFloat32Tensor, makeInt64Tensor, makeRawTensor, readFloat32 } from '../onnx/tensor.js';
import { MS_DOMAIN, ensureOpset } from './model-utils.js';
import { cloneModel } from '../onnx/model-io.js';
import { encodeInts, quantizeWeight } from './qdq-math.js';
import { nodeId, resolveConstant } from './static-qdq.js';

/** Options of `quantizeDynamic`. */
export interface DynamicOptions {
  /** Per-channel weight scales (output channels). Default true. */
  perChannel?: boolean;
  /** Op types to quantize. Default MatMul, Gemm, Conv. */
  opTypes?: readonly string[];
  /** Node names kept in float. */
  keepFloat?: readonly string[];
}

export interface DynamicResult {
  model: ModelProto;
  quantized: string[];
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}

/** Quantize weights of MatMul/Gemm/Conv dynamically. Works on pruned models (any weight shapes). */
export function quantizeDynamic(source: ModelProto, opts: DynamicOptions = {}): DynamicResult {
  const model = cloneModel(source);
  const g = model.graph;
  if (!g) throw new Error('model without graph');
  ensureOpset(model, MS_DOMAIN);
  const idx = new GraphIndex(g);
  const fresh = uniqueNamer(g);
  const perChannel = opts.perChannel ?? true;
  const ops = new Set(opts.opTypes ?? ['MatMul', 'Gemm', 'Conv']);
  const keep = new Set(opts.keepFloat ?? []);
  const quantized: string[] = [];
  const replace = new Map<NodeProto, NodeProto[]>();
  const bypass = new Set<NodeProto>();

  const addWeight = (
    base: string,
    data: Float32Array,
    dims: number[],
    axis: number | undefined,
  ): { q: string; s: string } => {
    const qw = quantizeWeight(data, dims, 'int8', true, axis);
    const q = fresh(`${base}_quantized`);
    const s = fresh(`${base}_scale`);
    g.initializer.push(makeRawTensor(q, DataType.INT8, dims, encodeInts(qw.values, 'int8')));
    g.initializer.push(
      makeFloat32Tensor(
        s,
        axis === undefined ? [1] : [qw.params.length],
        qw.params.map((p) => p.scale),
      ),
    );
    return { q, s };
  };

  for (const n of g.node) {
    if (n.domain !== '' || !ops.has(n.opType) || keep.has(nodeId(n)) || keep.has(n.name)) continue;
    const wName = n.input[1];
    const w = wName ? resolveConstant(idx, wName) : undefined;
    if (!w || w.dataType !== DataType.FLOAT || !wName || !n.input[0] || !n.output[0]) continue;
    const dims = dimsOf(w);
    if (n.opType === 'MatMul' || n.opType === 'Gemm') {
      if (dims.length !== 2) continue;
      let data = readFloat32(w);
      let [k, m] = dims as [number, number];
      let biasName: string | undefined;
      let out = n.output[0];
      if (n.opType === 'Gemm') {
        if (attrInt(n, 'transA', 0) !== 0 || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1) continue;
        if (attrInt(n, 'transB', 0)) {
          data = transpose2d(data, k, m);
          [k, m] = [m, k];
        }
        const c = n.input[2] ? resolveConstant(idx, n.input[2]) : undefined;
        if (n.input[2] && (!c || dimsOf(c).length !== 1)) continue;
        biasName = n.input[2] || undefined;
      } else {
        const add = idx.soleConsumer(out);
        const other = add?.input.find((x) => x !== out);
        const bias = other ? resolveConstant(idx, other) : undefined;
        if (
          add &&
          add.opType === 'Add' &&
          bias &&
          bias.dataType === DataType.FLOAT &&
          dimsOf(bias).length === 1 &&
          dimsOf(bias)[0] === m &&
          add.output[0]
        ) {
          biasName = other;
          out = add.output[0];
          bypass.add(add);
        }
      }
      const { q, s } = addWeight(wName, data, [k, m], perChannel ? 1 : undefined);
      const inputs = [n.input[0], q, s, '', ...(biasName ? [biasName] : [])];
      replace.set(n, [makeNode('DynamicQuantizeMatMul', inputs, [out], {}, fresh(`${nodeId(n)}_dynamic`), MS_DOMAIN)]);
      quantized.push(nodeId(n));
    } else if (n.opType === 'Conv') {
      if (dims.length !== 4) continue;
      const mOut = dims[0] as number;
      const { q, s } = addWeight(wName, readFloat32(w), dims, perChannel ? 0 : undefined);
      const x = n.input[0];
      const base = nodeId(n);
      const xq = fresh(`${base}_x_quantized`);
      const xs = fresh(`${base}_x_scale`);
      const xz = fresh(`${base}_x_zero_point`);
      const acc = fresh(`${base}_int32`);
      const accF = fresh(`${base}_float`);
      const scaled = fresh(`${base}_scaled`);
      const wsShaped = fresh(`${s}_nchw`);
      const shape = fresh(`${base}_scale_shape`);
      g.initializer.push(makeInt64Tensor(shape, [4], [1, perChannel ? mOut : 1, 1, 1]));
      const convAttrs = n.attribute;
      const convInt = makeNode('ConvInteger', [xq, q, xz], [acc], {}, fresh(`${base}_ConvInteger`));
      convInt.attribute = convAttrs.filter((a) => a.name !== 'bias');
      const bias = n.input[2];
      const hasBias = !!bias && !!resolveConstant(idx, bias);
      const yScaled = hasBias ? fresh(`${base}_nobias`) : n.output[0];
      const nodes = [
        makeNode('DynamicQuantizeLinear', [x], [xq, xs, xz], {}, fresh(`${base}_DynamicQuantizeLinear`)),
        convInt,
        makeNode('Cast', [acc], [accF], { to: DataType.FLOAT }, fresh(`${base}_Cast`)),
        makeNode('Reshape', [s, shape], [wsShaped], {}, fresh(`${base}_scale_reshape`)),
        makeNode('Mul', [accF, xs], [scaled], {}, fresh(`${base}_mul_x_scale`)),
        makeNode('Mul', [scaled, wsShaped], [yScaled], {}, fresh(`${base}_mul_w_scale`)),
      ];
      if (hasBias && bias) {
        const bShape = fresh(`${base}_bias_shape`);
        const bShaped = fresh(`${bias}_nchw`);
        g.initializer.push(makeInt64Tensor(bShape, [4], [1, mOut, 1, 1]));
        nodes.push(makeNode('Reshape', [bias, bShape], [bShaped], {}, fresh(`${base}_bias_reshape`)));
        nodes.push(makeNode('Add', [yScaled, bShaped], [n.output[0]], {}, fresh(`${base}_bias_add`)));
      }
      replace.set(n, nodes);
      quantized.push(base);
    }
  }
  g.node = g.node.flatMap((n) => (bypass.has(n) ? [] : (replace.get(n) ?? [n])));
  g.valueInfo = [];
  removeDeadNodes(g);
  g.node = topologicalOrder(g);
  return { model, quantized };
}
