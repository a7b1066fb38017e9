/**
 * Small model helpers for the quantizers: opset imports, graph input shapes, tensor element
 * types found by running the model once in ONNX Runtime (the "type probe"), and extra graph outputs.
 */
import { create } from '@bufbuild/protobuf';
import { OperatorSetIdProtoSchema, ValueInfoProtoSchema, type ModelProto, type ValueInfoProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { createSession, ort } from '../onnx/session.js';
import { DATA_TYPE_CODES } from '../onnx/tensor.js';

export const MS_DOMAIN = 'com.microsoft';

import { cloneModel } from '../onnx/model-io.js';

/** Make sure the model imports `domain` (version 1 for com.microsoft). */
export function ensureOpset(model: ModelProto, domain: string, version = 1): void {
  if (!model.opsetImport.some((o) => o.domain === domain)) {
    model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) }));
  }
}

/** Dimensions of a value info; symbolic/unknown dims are returned as strings/null. */
export function valueDims(v: ValueInfoProto): Array<number | string | null> {
  const t = v.type?.value;
  if (t?.case !== 'tensorType') return [];
  return (t.value.shape?.dim ?? []).map((d) =>
    d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : null,
  );
}

export function elemTypeOf(v: ValueInfoProto): number {
  const t = v.type?.value;
  return t?.case === 'tensorType' ? t.value.elemType : 0;
}

/** Runtime (non-initializer) graph inputs. */
export function runtimeInputs(model: ModelProto): ValueInfoProto[] {
  const inits = new Set(model.graph?.initializer.map((t) => t.name));
  return (model.graph?.input ?? []).filter((i) => !inits.has(i.name));
}

/** Concrete input dims with symbolic dims replaced by `batch` (first dim) or 1. */
export function concreteInputDims(v: ValueInfoProto, batch = 1): number[] {
  return valueDims(v).map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : 1));
}

export { untypedShapeValueInfo } from '../onnx/graph.js';

const ORT_TYPE_CODES = DATA_TYPE_CODES;

/** Zero-filled feeds for every runtime input (symbolic dims = 1). */
export function zeroFeeds(model: ModelProto): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const v of runtimeInputs(model)) {
    const dims = concreteInputDims(v);
    const n = dims.reduce((a, d) => a * d, 1);
    const et = elemTypeOf(v);
    if (et === 1) feeds[v.name] = new ort.Tensor('float32', new Float32Array(n), dims);
    else if (et === 7) feeds[v.name] = new ort.Tensor('int64', new BigInt64Array(n), dims);
    else if (et === 6) feeds[v.name] = new ort.Tensor('int32', new Int32Array(n), dims);
    else
      throw new PqvError('MODEL_UNSUPPORTED', `Input ${v.name} has an element type (${et}) the quantizer cannot feed.`);
  }
  return feeds;
}

/**
 * Element type (ONNX code) of every node output, found by running a copy of the model with every
 * node output exposed as a graph output on zero inputs (one forward pass, batch 1).
 */
export async function probeTensorTypes(model: ModelProto): Promise<Map<string, number>> {
  const probe = cloneModel(model);
  const g = probe.graph;
  if (!g) throw new PqvError('MODEL_INVALID', 'The model has no graph.');
  const existing = new Set(g.output.map((o) => o.name));
  const names: string[] = [];
  for (const n of g.node) for (const o of n.output) if (o && !existing.has(o)) names.push(o);
  g.output.push(...names.map((n) => create(ValueInfoProtoSchema, { name: n })));
  g.valueInfo = [];
  const session = await createSession(probe, { optimization: 'disabled' });
  try {
    const out = await session.run(zeroFeeds(model));
    const types = new Map<string, number>();
    for (const [name, t] of Object.entries(out)) types.set(name, ORT_TYPE_CODES[(t as ort.Tensor).type] ?? 0);
    for (const i of g.input) types.set(i.name, elemTypeOf(i));
    for (const t of g.initializer) types.set(t.name, t.dataType);
    return types;
  } finally {
    await session.release();
  }
}
