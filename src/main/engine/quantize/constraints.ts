/**
 * Checks a model against a backend profile and lists every violation in words.
 */
import type { ModelProto } from 'onnx-buf';
import { GraphIndex, attrInt } from '../onnx/graph.js';
import { DATA_TYPE_NAMES, DataType, readInts } from '../onnx/tensor.js';
import { MS_DOMAIN } from './model-utils.js';
import { profileOf } from './profiles.js';
import { hasStaticInputs } from './shapes.js';
import type { BackendName, QuantType } from './types.js';

const DYNAMIC_OPS = new Set([
  'DynamicQuantizeLinear',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'MatMulInteger',
  'ConvInteger',
]);

function quantTypeName(dt: number): string {
  return DATA_TYPE_NAMES[dt] ?? String(dt);
}

/** Violations of `backend`'s constraints by `model` (empty = the backend can run it as produced). */
export function checkBackendConstraints(model: ModelProto, backend: BackendName): string[] {
  const p = profileOf(backend);
  const g = model.graph;
  if (!g) return ['the model has no graph'];
  const idx = new GraphIndex(g);
  const v: string[] = [];
  if (p.staticShapes && !hasStaticInputs(model))
    v.push(`${backend} needs fixed input shapes, but an input has a symbolic dimension`);

  const hasHalf = g.initializer.some((t) => t.dataType === DataType.FLOAT16);
  if (p.float16 === 'required' && !hasHalf)
    v.push(`${backend} runs float16 models, but the model has no float16 weights`);
  if (p.float16 === 'forbidden' && hasHalf) v.push(`${backend} does not take float16 weights`);

  for (const n of g.node) {
    if (n.domain === MS_DOMAIN && p.msOps !== '*' && !p.msOps.includes(n.opType)) {
      v.push(`${backend} cannot run com.microsoft op ${n.opType} (node ${n.name})`);
    }
    if (DYNAMIC_OPS.has(n.opType) && !p.dynamicQuant)
      v.push(`${backend} cannot run dynamic quantization op ${n.opType} (node ${n.name})`);
  }

  const isQdq = g.node.some((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear');
  if (isQdq && !p.modes.includes('int8-static')) v.push(`${backend} does not run QDQ-quantized models`);
  for (const n of g.node) {
    if (n.opType === 'QuantizeLinear') {
      const zp = n.input[2] ? idx.constantTensor(n.input[2]) : undefined;
      const t = zp ? quantTypeName(zp.dataType) : 'uint8';
      if (!p.activationTypes.includes(t as QuantType))
        v.push(`${backend} takes ${p.activationTypes.join('/') || 'no'} activations, got ${t} (node ${n.name})`);
    }
    if (n.opType !== 'DequantizeLinear') continue;
    const w = n.input[0] ? idx.initializers.get(n.input[0]) : undefined;
    if (!w || w.dataType === DataType.INT32) continue; // activations are checked on QuantizeLinear; int32 = bias
    const t = quantTypeName(w.dataType);
    if (!p.weightTypes.includes(t as QuantType))
      v.push(`${backend} takes ${p.weightTypes.join('/') || 'no'} weights, got ${t} (${w.name})`);
    const scale = n.input[1] ? idx.constantTensor(n.input[1]) : undefined;
    const channels = scale ? scale.dims.reduce((a, d) => a * Number(d), 1) : 1;
    if (channels > 1 && p.perChannel === 'forbidden')
      v.push(`${backend} needs per-tensor weights, ${w.name} is per-channel (axis ${attrInt(n, 'axis', 1)})`);
    if (p.weightSymmetric) {
      const zpT = n.input[2] ? idx.constantTensor(n.input[2]) : undefined;
      const zps = zpT ? readInts(zpT) : [0];
      const mid = w.dataType === DataType.UINT8 ? 128 : 0;
      if (zps.some((z) => z !== mid)) v.push(`${backend} needs symmetric weights, ${w.name} has zero point ≠ ${mid}`);
    }
  }
  return v;
}
