/**
 * Model helpers shared by the recovery modules: float weight lists (and the shared deep copy).
 */
import type { ModelProto } from 'onnx-buf';
import { DataType } from '../onnx/tensor.js';

/** Names of the float32 initializers with more than one element consumed by some node (the trainable weights; scalar constants excluded). */
export function floatWeights(m: ModelProto): string[] {
  const used = new Set<string>();
  for (const n of m.graph?.node ?? []) for (const i of n.input) used.add(i);
  return (m.graph?.initializer ?? [])
    .filter((t) => t.dataType === DataType.FLOAT && used.has(t.name) && t.dims.reduce((a, d) => a * Number(d), 1) > 1)
    .map((t) => t.name);
}
