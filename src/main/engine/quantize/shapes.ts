/**
 * Static input shapes for backends that need them (NNAPI, QNN): symbolic dims of the graph inputs and
 * outputs are rewritten to fixed values (batch → 1) and stale intermediate shape annotations dropped.
 */
import type { ModelProto, ValueInfoProto } from 'onnx-buf';

function fixDims(v: ValueInfoProto, batch: number): number {
  const t = v.type?.value;
  if (t?.case !== 'tensorType' || !t.value.shape) return 0;
  let changed = 0;
  for (const [i, d] of t.value.shape.dim.entries()) {
    if (d.value.case !== 'dimValue') {
      d.value = { case: 'dimValue', value: BigInt(i === 0 ? batch : 1) };
      changed++;
    }
  }
  return changed;
}

/** Fix every symbolic dimension of the graph inputs/outputs (the first one to `batch`). Returns dims changed. */
export function fixBatchDimension(model: ModelProto, batch = 1): number {
  const g = model.graph;
  if (!g) return 0;
  const inits = new Set(g.initializer.map((t) => t.name));
  let changed = 0;
  for (const i of g.input) if (!inits.has(i.name)) changed += fixDims(i, batch);
  for (const o of g.output) changed += fixDims(o, batch);
  if (changed > 0) g.valueInfo = [];
  return changed;
}

/** True when every runtime input has only fixed dimensions. */
export function hasStaticInputs(model: ModelProto): boolean {
  const g = model.graph;
  if (!g) return false;
  const inits = new Set(g.initializer.map((t) => t.name));
  return g.input
    .filter((i) => !inits.has(i.name))
    .every((i) => {
      const t = i.type?.value;
      return (
        t?.case === 'tensorType' &&
        !!t.value.shape &&
        t.value.shape.dim.every((d) => d.value.case === 'dimValue' && d.value.value > 0n)
      );
    });
}
