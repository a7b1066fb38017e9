/**
 * Shape probe: runs the forward model once or twice in ONNX Runtime with every intermediate tensor
 * exposed, to learn each tensor's rank, dimensions, element type, which dimensions follow the batch
 * size, and the values of small shape-arithmetic tensors. Gradient rules need ranks (Transpose
 * permutations, broadcast reductions) that ONNX files do not always declare.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, ValueInfoProtoSchema, type ModelProto, type ValueInfoProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { createSession, ort } from '../onnx/session.js';
import { DATA_TYPE_CODES, dimsOf, readNumbers } from '../onnx/tensor.js';
import type { TensorInfo } from './types.js';

const ORT_TYPES = DATA_TYPE_CODES;
const TYPE_CTORS: Record<number, ort.Tensor.Type> = { 1: 'float32', 11: 'float64', 10: 'float16' };

/** Declared dims of a graph input: numbers, or undefined for symbolic/unknown dimensions. */
export function declaredDims(v: ValueInfoProto): (number | undefined)[] {
  const t = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
  return (t?.shape?.dim ?? []).map((d) =>
    d.value.case === 'dimValue' && d.value.value > 0n ? Number(d.value.value) : undefined,
  );
}

export function declaredElemType(v: ValueInfoProto): number {
  return v.type?.value.case === 'tensorType' ? v.type.value.value.elemType : 0;
}

/** The data input of a model (first graph input that is not an initializer). */
export function dataInput(model: ModelProto): ValueInfoProto {
  const g = model.graph;
  const inits = new Set(g?.initializer.map((t) => t.name));
  const inputs = (g?.input ?? []).filter((i) => !inits.has(i.name));
  const first = inputs[0];
  if (!first) throw new PqvError('MODEL_INVALID', 'The model has no data input.');
  if (inputs.length > 1) {
    throw new PqvError(
      'MODEL_UNSUPPORTED',
      `Gradients need a model with one data input; this one has ${inputs.length} (${inputs.map((i) => i.name).join(', ')}).`,
    );
  }
  return first;
}

/**
 * Concrete input dims for a probe at `batch`: declared static dims are kept, the leading symbolic dim
 * becomes `batch`, other symbolic dims come from `sampleShape` (dims without the batch).
 */
export function probeDims(input: ValueInfoProto, batch: number, sampleShape?: readonly number[]): number[] {
  const decl = declaredDims(input);
  return decl.map((d, i) => {
    if (i === 0) return d ?? batch;
    const s = sampleShape?.[i - 1];
    if (d !== undefined) return d;
    if (s === undefined) {
      throw new PqvError(
        'MODEL_UNSUPPORTED',
        `Input ${input.name} has a symbolic dimension ${i}; give the sample shape (e.g. from the preprocessing).`,
      );
    }
    return s;
  });
}

/** Probe every tensor of `model`. Runs at batch 1 and 2 when the batch is dynamic. */
export async function probeShapes(
  model: ModelProto,
  sampleShape?: readonly number[],
): Promise<Map<string, TensorInfo>> {
  const g = model.graph;
  if (!g) throw new PqvError('MODEL_INVALID', 'The model has no graph.');
  const input = dataInput(model);
  const elemType = declaredElemType(input);
  const ctor = TYPE_CTORS[elemType];
  if (!ctor)
    throw new PqvError('MODEL_UNSUPPORTED', `Input ${input.name} must be a float tensor to compute gradients.`);
  const probe = fromBinary(ModelProtoSchema, toBinary(ModelProtoSchema, model));
  const pg = probe.graph as NonNullable<ModelProto['graph']>;
  const known = new Set([
    ...pg.output.map((o) => o.name),
    ...pg.input.map((i) => i.name),
    ...pg.initializer.map((t) => t.name),
  ]);
  for (const n of pg.node) {
    for (const o of n.output)
      if (o && !known.has(o)) {
        known.add(o);
        pg.output.push(create(ValueInfoProtoSchema, { name: o }));
      }
  }
  const session = await createSession(probe, { optimization: 'disabled' });
  const dynamicBatch = declaredDims(input)[0] === undefined;
  const batches = dynamicBatch ? [1, 2] : [1];
  const runs: Record<string, ort.Tensor>[] = [];
  for (const b of batches) {
    const dims = probeDims(input, b, sampleShape);
    const size = dims.reduce((a, d) => a * d, 1);
    const data = ctor === 'float64' ? new Float64Array(size).fill(0.1) : new Float32Array(size).fill(0.1);
    const out = await session.run({ [input.name]: new ort.Tensor(ctor, data, dims) });
    runs.push(out as Record<string, ort.Tensor>);
  }
  await session.release();
  const infos = new Map<string, TensorInfo>();
  for (const t of g.initializer) {
    const dims = dimsOf(t);
    const info: TensorInfo = { dims, dynamic: dims.map(() => false), elemType: t.dataType };
    if (dims.reduce((a, d) => a * d, 1) <= 64) info.constValues = readNumbers(t);
    infos.set(t.name, info);
  }
  const constantOutputs = new Set(g.node.filter((n) => n.opType === 'Constant').map((n) => n.output[0] ?? ''));
  const first = runs[0] as Record<string, ort.Tensor>;
  const inDims = probeDims(input, 1, sampleShape);
  infos.set(input.name, { dims: inDims, dynamic: inDims.map((_, i) => i === 0 && dynamicBatch), elemType });
  for (const [name, t] of Object.entries(first)) {
    const other = runs[1]?.[name];
    const dims = [...t.dims];
    const dynamic = dims.map((d, i) => other !== undefined && other.dims[i] !== d);
    const info: TensorInfo = { dims, dynamic, elemType: ORT_TYPES[t.type] ?? 0 };
    const isInt = t.type === 'int64' || t.type === 'int32';
    if ((isInt || constantOutputs.has(name)) && t.size <= 64) {
      const a = Array.from(t.data as ArrayLike<number | bigint>, Number);
      const b = other ? Array.from(other.data as ArrayLike<number | bigint>, Number) : a;
      if (a.length === b.length && a.every((x, i) => x === b[i])) info.constValues = a;
    }
    infos.set(name, info);
  }
  return infos;
}
