/**
 * Finds decomposed LayerNorm subgraphs (opset < 17 exports):
 * ReduceMean(x) → Sub(x, mean) → Pow(·, 2) → ReduceMean → Add(eps) → Sqrt → Div(Sub, Sqrt).
 * Their variance path overflows float16 on ViT residual outliers, so fp16 conversion keeps them in fp32.
 */
import type { NodeProto } from 'onnx-buf';
import type { GraphIndex } from '../onnx/graph.js';

/** Nodes of every decomposed LayerNorm statistics path in the graph. */
export function findDecomposedLayerNorms(idx: GraphIndex): NodeProto[][] {
  const found: NodeProto[][] = [];
  for (const mean of idx.graph.node) {
    if (mean.opType !== 'ReduceMean') continue;
    const x = mean.input[0];
    const mOut = mean.output[0];
    if (!x || !mOut) continue;
    const sub = idx.consumersOf(mOut).find((n) => n.opType === 'Sub' && n.input[0] === x && n.input[1] === mOut);
    const dOut = sub?.output[0];
    if (!sub || !dOut) continue;
    const consumers = idx.consumersOf(dOut);
    const pow = consumers.find((n) => n.opType === 'Pow' || n.opType === 'Mul');
    const div = consumers.find((n) => n.opType === 'Div' && n.input[0] === dOut);
    if (!pow || !div || !pow.output[0]) continue;
    const varMean = idx.consumersOf(pow.output[0]).find((n) => n.opType === 'ReduceMean');
    if (!varMean?.output[0]) continue;
    const add = idx.consumersOf(varMean.output[0]).find((n) => n.opType === 'Add');
    if (!add?.output[0]) continue;
    const sqrt = idx.consumersOf(add.output[0]).find((n) => n.opType === 'Sqrt');
    if (!sqrt?.output[0] || div.input[1] !== sqrt.output[0]) continue;
    found.push([mean, sub, pow, varMean, add, sqrt, div]);
  }
  return found;
}
