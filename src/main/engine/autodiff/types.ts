/**
 * Shared types of the reverse-mode differentiation of ONNX graphs: what is known about each
 * forward tensor (from the shape probe), and the contract of a per-op gradient rule.
 */
import type { NodeProto } from 'onnx-buf';
import type { AttrValue } from '../onnx/graph.js';

/** What the shape probe learned about one forward tensor. */
export interface TensorInfo {
  /** Dimensions at the first probe batch size. */
  dims: number[];
  /** `dynamic[i]` is true when dimension i changed with the batch size (or was declared symbolic). */
  dynamic: boolean[];
  /** ONNX element type (1 = float32, 11 = float64, 7 = int64, 9 = bool…). */
  elemType: number;
  /** Values of small integer tensors that did not change with the batch size (shape arithmetic). */
  constValues?: number[];
}

/** Float element types gradients flow through. */
export const FLOAT_TYPES = new Set([1, 10, 11, 16]);

/**
 * The emitter a gradient rule writes backward nodes with. Tensor names refer to the forward graph
 * (whose values stay available in the backward model) or to tensors the rule emitted.
 */
export interface GradContext {
  readonly opset: number;
  /** Probe information of a forward tensor; throws when unknown. */
  info(name: string): TensorInfo;
  /** True when the forward tensor carries a gradient (float, depends on a differentiated initializer). */
  needsGrad(name: string): boolean;
  /** A tensor name not used anywhere in the model. */
  freshName(base: string): string;
  /** Emit one node and return its output names. */
  emit(op: string, inputs: string[], attrs?: Record<string, AttrValue>, outputs?: number): string[];
  /** Emit one node with a single output and return its name. */
  op(op: string, inputs: string[], attrs?: Record<string, AttrValue>): string;
  /** A scalar constant with the element type of forward tensor `like`. */
  scalar(value: number, like: string): string;
  /** A 1-D int64 constant. */
  ints(values: readonly number[]): string;
  /** The shape of a forward tensor: a constant when fully static, else a runtime Shape. */
  shapeOf(name: string): string;
  /** Sum `grad` (shaped like forward tensor `from`) down to the shape of forward tensor `to` (broadcast reduction). */
  reduceTo(grad: string, from: string, to: string): string;
  /** Known integer values of a forward tensor (initializer, Constant, or constant shape arithmetic). */
  intValues(name: string): number[] | undefined;
  /** Sum over `axes` keeping dims (ReduceSum, axes as input). */
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string;
  /** Mean over `axes` (ReduceMean in the form the model's opset expects). */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string;
}

/**
 * Gradient rule of one op type. Gets the gradients of the node's outputs (undefined where the
 * output carries none) and returns one gradient per input (undefined where not needed: check
 * `ctx.needsGrad(input)` to avoid emitting useless work). Gradients have the shape of their tensor.
 */
export type GradRule = (
  node: NodeProto,
  gradOutputs: (string | undefined)[],
  ctx: GradContext,
) => (string | undefined)[];
