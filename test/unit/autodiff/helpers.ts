/**
 * Test helpers: tiny ONNX models around one op, and central finite-difference checks of the
 * gradients a GradientSession returns.
 */
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from 'onnx-buf';
import { makeFloat32Tensor, makeRawTensor, DataType } from '../../../src/main/engine/onnx/tensor.js';
import { makeNode } from '../../../src/main/engine/onnx/graph.js';
import { valueInfo, type LossSpec } from '../../../src/main/engine/autodiff/loss.js';
import {
  GradientSession,
  type FloatArray,
  type GradientTarget,
} from '../../../src/main/engine/autodiff/gradient-session.js';

export { makeNode };

/** Deterministic pseudo-random numbers in [-1, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  };
}

export function floatTensor(name: string, dims: number[], values: number[], elemType: number): TensorProto {
  if (elemType === DataType.FLOAT) return makeFloat32Tensor(name, dims, values);
  const raw = new Uint8Array(values.length * 8);
  const v = new DataView(raw.buffer);
  values.forEach((x, i) => v.setFloat64(i * 8, x, true));
  return makeRawTensor(name, DataType.DOUBLE, dims, raw);
}

export interface ParamSpec {
  dims: number[];
  /** Values in [lo, hi). Default [-1, 1). */
  range?: [number, number];
}

/**
 * A model `y = op-nodes(params…) + x`, where `x` is the data input (shaped like the output) and the
 * nodes read the parameters (initializers) and constants and write `z`.
 */
export function opModel(opts: {
  nodes: NodeProto[];
  params: Record<string, ParamSpec>;
  consts?: TensorProto[];
  outDims: number[];
  elemType?: number;
  opset?: number;
  seed?: number;
}): ModelProto {
  const et = opts.elemType ?? DataType.DOUBLE;
  const r = rng(opts.seed ?? 7);
  const inits = Object.entries(opts.params).map(([name, p]) => {
    const [lo, hi] = p.range ?? [-1, 1];
    const n = p.dims.reduce((a, d) => a * d, 1);
    return floatTensor(
      name,
      p.dims,
      Array.from({ length: n }, () => lo + ((r() + 1) / 2) * (hi - lo)),
      et,
    );
  });
  const graph = create(GraphProtoSchema, {
    name: 'op',
    node: [...opts.nodes, makeNode('Add', ['z', 'x'], ['y'])],
    initializer: [...inits, ...(opts.consts ?? [])],
    input: [valueInfo('x', et, opts.outDims)],
    output: [valueInfo('y', et, opts.outDims)],
  });
  return create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(opts.opset ?? 17) })],
    graph,
  });
}

export interface FdReport {
  /** Largest |analytic − numeric| / (atol + rtol·|numeric|) over the checked elements (≤ 1 passes). */
  worst: number;
  checked: number;
  detail: string;
}

/**
 * Compare the session's gradients with central finite differences of its loss, element by element
 * (all elements, or the `maxPerTensor` largest-|gradient| ones).
 */
export async function finiteDifferenceCheck(
  session: GradientSession,
  data: FloatArray,
  dims: number[],
  target: GradientTarget,
  o: { h: number; atol: number; rtol: number; maxPerTensor?: number; relativeStep?: boolean; only?: string[] },
): Promise<FdReport> {
  const base = await session.run(data, dims, target);
  let worst = 0;
  let checked = 0;
  let detail = '';
  for (const [name, g] of base.grads) {
    if (o.only && !o.only.includes(name)) continue;
    const w0 = session.weight(name) as FloatArray;
    const w = w0 instanceof Float64Array ? Float64Array.from(w0) : Float32Array.from(w0);
    let idx = Array.from(g.keys());
    if (o.maxPerTensor !== undefined)
      idx = idx.sort((a, b) => Math.abs(g[b] as number) - Math.abs(g[a] as number)).slice(0, o.maxPerTensor);
    for (const i of idx) {
      const orig = w[i] as number;
      const h = o.relativeStep ? o.h * Math.max(Math.abs(orig), 1e-2) : o.h;
      w[i] = orig + h;
      session.setWeights(new Map([[name, w]]));
      const lp = (await session.run(data, dims, target)).loss;
      w[i] = orig - h;
      session.setWeights(new Map([[name, w]]));
      const lm = (await session.run(data, dims, target)).loss;
      w[i] = orig;
      session.setWeights(new Map([[name, w]]));
      const fd = (lp - lm) / (2 * h);
      const an = g[i] as number;
      const err = Math.abs(an - fd) / (o.atol + o.rtol * Math.abs(fd));
      checked++;
      if (err > worst) {
        worst = err;
        detail = `${name}[${i}] analytic ${an} numeric ${fd}`;
      }
    }
  }
  return { worst, checked, detail };
}

/** Build a session on an op model with a vector–Jacobian-product loss and check all its parameters. */
export async function checkOpModel(
  model: ModelProto,
  tol: { h: number; atol: number; rtol: number },
  loss: LossSpec = { kind: 'vjp' },
): Promise<FdReport> {
  const g = model.graph as NonNullable<ModelProto['graph']>;
  const wrt = g.initializer
    .filter((t) => t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE)
    .filter((t) => !t.name.startsWith('c_'))
    .map((t) => t.name);
  const session = await GradientSession.create(model, { wrt, loss });
  try {
    const xInfo = g.input[0];
    const dims = (xInfo?.type?.value.case === 'tensorType' ? (xInfo.type.value.value.shape?.dim ?? []) : []).map((d) =>
      Number(d.value.value),
    );
    const n = dims.reduce((a, d) => a * d, 1);
    const r = rng(99);
    const f64 = g.initializer.some((t) => t.dataType === DataType.DOUBLE);
    const x = f64 ? Float64Array.from({ length: n }, () => r()) : Float32Array.from({ length: n }, () => r());
    const seed = f64 ? Float64Array.from({ length: n }, () => r()) : Float32Array.from({ length: n }, () => r());
    return await finiteDifferenceCheck(session, x, dims, { seed }, tol);
  } finally {
    await session.release();
  }
}
