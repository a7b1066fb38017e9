/**
 * Refuses inputs that are already reduced-precision: quantized (Q/DQ, integer ops, int8 weights) or float16.
 */
import type { ModelProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { DataType } from '../onnx/tensor.js';
import { elemTypeOf } from './model-utils.js';

const QUANTIZED_OPS = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'QLinearAdd',
  'QLinearMul',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'QGemm',
  'QAttention',
  'MatMulNBits',
  'DynamicQuantizeLSTM',
  'QLinearSoftmax',
  'QLinearConcat',
]);

/** What makes a model reduced-precision, or undefined when it is plain float32. */
export function quantizedReason(model: ModelProto): string | undefined {
  const g = model.graph;
  if (!g) return undefined;
  const op = g.node.find((n) => QUANTIZED_OPS.has(n.opType));
  if (op) return `it already contains ${op.opType} (node ${op.name || op.output[0]})`;
  const half = g.initializer.find((t) => t.dataType === DataType.FLOAT16);
  if (half) return `initializer ${half.name} is float16`;
  const halfIn = g.input.find((i) => elemTypeOf(i) === DataType.FLOAT16);
  if (halfIn) return `input ${halfIn.name} is float16`;
  const int8 = g.initializer.find(
    (t) => (t.dataType === DataType.INT8 || t.dataType === DataType.UINT8) && t.dims.length >= 2,
  );
  if (int8) return `weight ${int8.name} is stored as 8-bit integers`;
  return undefined;
}

/** Throw QUANT_ALREADY_QUANTIZED when the model is not a float32 model. */
export function assertFloatModel(model: ModelProto, path: string): void {
  const why = quantizedReason(model);
  if (why) {
    throw new PqvError(
      'QUANT_ALREADY_QUANTIZED',
      `${path} is already reduced-precision: ${why}. Quantize the original float32 export instead.`,
      { path, reason: why },
    );
  }
}
