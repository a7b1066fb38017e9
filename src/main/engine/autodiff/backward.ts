/**
 * Backward-graph builder: from a forward ONNX model and a scalar loss, emit one ONNX model that
 * computes the loss, the logits and the gradients of the loss w.r.t. chosen initializers.
 *
 * The differentiated initializers become graph inputs (by default), so one ONNX Runtime session
 * serves changing weights (fine-tuning) as well as fixed ones (importance estimation). Only nodes on
 * a path from a differentiated initializer to the loss need a gradient rule; shape arithmetic
 * (Shape, Gather on shapes, Equal, Where, ConstantOfShape…) carries no gradient and needs none.
 */
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type ModelProto, type NodeProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { makeNode, topologicalOrder, uniqueNamer } from '../onnx/graph.js';
import { opsetOf } from '../onnx/model-io.js';
import { Emitter, unsupported } from './context.js';
import { emitLoss, valueInfo, type LossSpec } from './loss.js';
import { GRAD_RULES } from './ops/index.js';
import { dataInput, probeShapes } from './shapes.js';
import { FLOAT_TYPES, type TensorInfo } from './types.js';

/** Options of `buildBackward`. */
export interface BackwardOptions {
  /** Initializers to differentiate (weights, biases, LayerNorm γ/β, embeddings…). */
  wrt: readonly string[];
  /** The scalar loss. */
  loss: LossSpec;
  /** Output the loss is computed on. Default: the first graph output. */
  output?: string;
  /** Input shape without the batch dimension, needed only when the model declares symbolic image dims. */
  sampleShape?: readonly number[];
  /** Turn the differentiated initializers into graph inputs (default true); false keeps them baked in. */
  weightsAsInputs?: boolean;
}

/** The built model and the names to feed and read. */
export interface BackwardModel {
  model: ModelProto;
  /** Data input (images). */
  dataInput: string;
  /** Input holding labels / teacher logits / seed. */
  targetInput: string;
  /** Dims of the target input (`undefined` = batch-sized). */
  targetDims: (number | undefined)[];
  /** Dims of the differentiated output at batch 1 (logits: [1, classes]). */
  outputDims: number[];
  /** Scalar loss output. */
  lossOutput: string;
  /** Logits (forward output) output. */
  logitsOutput: string;
  /** Initializer name → gradient output name. */
  gradOutputs: Map<string, string>;
  /** Initializers that are graph inputs of `model` (to be fed). */
  weightInputs: string[];
  /** Differentiated initializers the loss does not depend on (their gradient is zero). */
  unused: string[];
}

function cloneModel(m: ModelProto): ModelProto {
  return fromBinary(ModelProtoSchema, toBinary(ModelProtoSchema, m));
}

/** Tensors that carry a gradient: float, reachable from `wrt` and reaching `output`. */
function gradientTensors(
  order: NodeProto[],
  wrt: readonly string[],
  output: string,
  infos: Map<string, TensorInfo>,
): Set<string> {
  const fromW = new Set<string>(wrt);
  for (const n of order) {
    if (!n.input.some((i) => i && fromW.has(i))) continue;
    for (const o of n.output) if (o && FLOAT_TYPES.has(infos.get(o)?.elemType ?? 0)) fromW.add(o);
  }
  const toLoss = new Set<string>([output]);
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k] as NodeProto;
    if (!n.output.some((o) => toLoss.has(o))) continue;
    for (const i of n.input) if (i) toLoss.add(i);
  }
  return new Set([...fromW].filter((t) => toLoss.has(t)));
}

export async function buildBackward(forward: ModelProto, opts: BackwardOptions): Promise<BackwardModel> {
  const model = cloneModel(forward);
  const g = model.graph;
  if (!g) throw new PqvError('MODEL_INVALID', 'The model has no graph.');
  const opset = opsetOf(model);
  if (opset < 13)
    throw new PqvError(
      'MODEL_UNSUPPORTED',
      `Gradients need opset 13 or newer (the model uses opset ${opset}). Re-export with opset_version=13+.`,
    );
  const output = opts.output ?? g.output[0]?.name;
  if (!output) throw new PqvError('MODEL_INVALID', 'The model has no output.');
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  for (const w of opts.wrt) {
    const t = inits.get(w);
    if (!t) throw new PqvError('INVALID_ARGUMENT', `No initializer named ${w} in the model.`);
    if (!FLOAT_TYPES.has(t.dataType))
      throw new PqvError('INVALID_ARGUMENT', `Initializer ${w} is not a float tensor; it has no gradient.`);
  }
  const infos = await probeShapes(forward, opts.sampleShape);
  const order = topologicalOrder(g);
  const gradSet = gradientTensors(order, opts.wrt, output, infos);
  const fresh = uniqueNamer(g);
  const ctx = new Emitter(opset, infos, gradSet, fresh);
  const emitted = emitLoss(ctx, output, opts.loss);

  const contributions = new Map<string, string[]>([[output, [emitted.gradOutput]]]);
  const materialize = (t: string): string | undefined => {
    const list = contributions.get(t);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    const sum = ctx.op('Sum', list);
    contributions.set(t, [sum]);
    return sum;
  };
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k] as NodeProto;
    if (!node.output.some((o) => contributions.has(o))) continue;
    if (!node.input.some((i) => i && gradSet.has(i))) continue;
    const rule = node.domain === '' || node.domain === 'ai.onnx' ? GRAD_RULES.get(node.opType) : undefined;
    if (!rule) throw unsupported(node, 'no gradient rule for this op');
    const grads = rule(
      node,
      node.output.map((o) => materialize(o)),
      ctx,
    );
    node.input.forEach((inp, i) => {
      const gi = grads[i];
      if (!inp || !gi || !gradSet.has(inp)) return;
      const list = contributions.get(inp);
      if (list) list.push(gi);
      else contributions.set(inp, [gi]);
    });
  }

  const gradOutputs = new Map<string, string>();
  const unused: string[] = [];
  const outputs = [valueInfo(fresh('loss'), infos.get(output)?.elemType ?? 1, [])];
  const lossName = outputs[0]?.name as string;
  ctx.nodes.push(makeNode('Identity', [emitted.loss], [lossName], {}, fresh('loss_identity')));
  outputs.push(g.output.find((o) => o.name === output) ?? valueInfo(output, 1, []));
  for (const w of opts.wrt) {
    const t = inits.get(w);
    const info = infos.get(w) as TensorInfo;
    let grad = materialize(w);
    if (!grad) {
      unused.push(w);
      grad = ctx.op('Expand', [ctx.typedScalar(0, t?.dataType ?? 1), ctx.ints(info.dims)]);
    }
    const name = fresh(`grad:${w}`);
    ctx.nodes.push(makeNode('Identity', [grad], [name], {}, fresh(`grad:${w}/identity`)));
    gradOutputs.set(w, name);
    outputs.push(valueInfo(name, t?.dataType ?? 1, info.dims));
  }
  g.node.push(...ctx.nodes);
  g.output = outputs;
  g.input.push(emitted.targetInput);
  const weightInputs: string[] = [];
  if (opts.weightsAsInputs ?? true) {
    const wrt = new Set(opts.wrt);
    for (const w of opts.wrt) {
      const t = inits.get(w);
      if (!t) continue;
      if (!g.input.some((i) => i.name === w)) g.input.push(valueInfo(w, t.dataType, t.dims.map(Number)));
      weightInputs.push(w);
    }
    g.initializer = g.initializer.filter((t) => !wrt.has(t.name));
  }
  return {
    model,
    dataInput: dataInput(forward).name,
    targetInput: emitted.targetInput.name,
    targetDims: (() => {
      const oi = infos.get(output) as TensorInfo;
      return opts.loss.kind === 'cross-entropy' ? [undefined] : oi.dims.map((d, i) => (oi.dynamic[i] ? undefined : d));
    })(),
    outputDims: [...(infos.get(output) as TensorInfo).dims],
    lossOutput: lossName,
    logitsOutput: output,
    gradOutputs,
    weightInputs,
    unused,
  };
}
