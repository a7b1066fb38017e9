/**
 * Mixed precision by sensitivity: quantize one planned layer at a time, measure the SQNR of the model
 * output against the float model on a few samples, and pick the most sensitive layers to keep in float.
 */
import type { ModelProto } from 'onnx-buf';
import { throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { removeDeadNodes } from '../onnx/graph.js';
import { createSession, ort, runFloat } from '../onnx/session.js';
import { DataType } from '../onnx/tensor.js';
import type { InputBatch } from './calibration.js';
import { runtimeInputs, untypedShapeValueInfo } from './model-utils.js';
import { cloneModel } from '../onnx/model-io.js';
import { sqnrDb } from './qdq-math.js';
import { applyStatic, planStatic, type QuantTarget, type StaticQuantConfig } from './static-qdq.js';
import type { TensorRange } from './types.js';

/** Concatenated first outputs of `model` over the batches. */
export async function modelOutputs(
  model: ModelProto | Uint8Array,
  batches: readonly InputBatch[],
): Promise<Float32Array> {
  const session = await createSession(model);
  try {
    const parts: Float32Array[] = [];
    for (const b of batches) parts.push((await runFloat(session, b.data, b.dims)).data);
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  } finally {
    await session.release();
  }
}

/** Build the static-quantized model with the given layers kept in float (or only `only` quantized). */
export function buildStatic(
  model: ModelProto,
  types: Map<string, number>,
  ranges: ReadonlyMap<string, TensorRange>,
  cfg: StaticQuantConfig,
  only?: ReadonlySet<string>,
): { model: ModelProto; plan: QuantTarget[]; quantized: number } {
  const m = cloneModel(model);
  const plan = planStatic(m, types, cfg);
  const quantized = applyStatic(m, plan, ranges, cfg, only);
  if (m.graph) removeDeadNodes(m.graph);
  return { model: m, plan, quantized };
}

export interface SensitivityRow {
  id: string;
  opType: string;
  sqnrDb: number;
}

/**
 * SQNR of the output when only each planned layer is quantized (sorted most sensitive first).
 * One "gated" model holds every layer's quantization behind a scalar gate input; feeding a one-hot gate
 * vector quantizes exactly one layer, so a single session serves all layers.
 */
export async function layerSensitivity(
  model: ModelProto,
  types: Map<string, number>,
  ranges: ReadonlyMap<string, TensorRange>,
  cfg: StaticQuantConfig,
  batches: readonly InputBatch[],
  reference: Float32Array,
  opts: LongOperationOptions = {},
): Promise<SensitivityRow[]> {
  const m = cloneModel(model);
  const g = m.graph;
  const inputName = runtimeInputs(model)[0]?.name;
  if (!g || !inputName) return [];
  const gatedPlan = planStatic(m, types, cfg);
  const gates = new Map(gatedPlan.map((t, i) => [t.id, `pqv_sensitivity_gate_${i}`]));
  for (const name of gates.values()) g.input.push(untypedShapeValueInfo(name, DataType.FLOAT));
  applyStatic(m, gatedPlan, ranges, cfg, undefined, gates);
  removeDeadNodes(g);
  const session = await createSession(m);
  const rows: SensitivityRow[] = [];
  const zero = new ort.Tensor('float32', Float32Array.of(0), []);
  const one = new ort.Tensor('float32', Float32Array.of(1), []);
  try {
    for (const [i, t] of gatedPlan.entries()) {
      throwIfAborted(opts.signal);
      const parts: Float32Array[] = [];
      for (const b of batches) {
        const feeds: Record<string, ort.Tensor> = { [inputName]: new ort.Tensor('float32', b.data, b.dims) };
        for (const [id, name] of gates) feeds[name] = id === t.id ? one : zero;
        const out = await session.run(feeds);
        parts.push((out[session.outputNames[0] ?? ''] as ort.Tensor).data as Float32Array);
      }
      const joined = new Float32Array(reference.length);
      let o = 0;
      for (const p of parts) {
        joined.set(p, o);
        o += p.length;
      }
      rows.push({ id: t.id, opType: t.node.opType, sqnrDb: sqnrDb(reference, joined) });
      opts.onProgress?.({ stage: 'sensitivity', done: i + 1, total: gatedPlan.length, detail: t.id });
    }
  } finally {
    await session.release();
  }
  return rows.sort((a, b) => a.sqnrDb - b.sqnrDb);
}

/**
 * Layers to keep in float: a number = the k most sensitive; 'auto' = layers whose SQNR is more than
 * `marginDb` below the median layer (at least 1, at most 10 % of the layers).
 */
export function pickKeepFloat(rows: readonly SensitivityRow[], spec: 'auto' | number, marginDb = 6): string[] {
  if (rows.length === 0) return [];
  if (typeof spec === 'number') return rows.slice(0, Math.max(0, spec)).map((r) => r.id);
  const sorted = [...rows].map((r) => r.sqnrDb).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const cap = Math.max(1, Math.ceil(rows.length * 0.1));
  const picked = rows.filter((r) => r.sqnrDb < median - marginDb).slice(0, cap);
  return (picked.length > 0 ? picked : rows.slice(0, 1)).map((r) => r.id);
}
