/**
 * The emitter gradient rules write with: node creation with fresh names, typed constants (cached),
 * static-or-runtime shapes, and the broadcast reduction that sums a gradient down to an input's shape.
 */
import type { NodeProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { makeNode, type AttrValue } from '../onnx/graph.js';
import { makeFloat32Tensor, makeInt64Tensor, makeRawTensor, DataType } from '../onnx/tensor.js';
import type { GradContext, TensorInfo } from './types.js';

export class Emitter implements GradContext {
  readonly nodes: NodeProto[] = [];
  private readonly constCache = new Map<string, string>();
  private readonly shapeCache = new Map<string, string>();

  constructor(
    readonly opset: number,
    private readonly infos: Map<string, TensorInfo>,
    private readonly gradTensors: Set<string>,
    private readonly fresh: (base: string) => string,
    private readonly prefix = 'grad',
  ) {}

  info(name: string): TensorInfo {
    const i = this.infos.get(name);
    if (!i) throw new PqvError('INTERNAL', `Autodiff: no shape information for tensor ${name}.`);
    return i;
  }

  needsGrad(name: string): boolean {
    return this.gradTensors.has(name);
  }

  freshName(base: string): string {
    return this.fresh(`${this.prefix}/${base}`);
  }

  emit(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(`${this.prefix}/${op}`));
    this.nodes.push(makeNode(op, inputs, outs, attrs, this.fresh(`${this.prefix}/${op}_node`)));
    return outs;
  }

  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.emit(op, inputs, attrs, 1)[0] as string;
  }

  /** A scalar constant of an explicit element type (1 float32, 11 float64, 7 int64). */
  typedScalar(value: number, elemType: number): string {
    const key = `s:${elemType}:${value}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh(`${this.prefix}/const`);
    let t;
    if (elemType === DataType.DOUBLE) {
      const raw = new Uint8Array(8);
      new DataView(raw.buffer).setFloat64(0, value, true);
      t = makeRawTensor(name, DataType.DOUBLE, [], raw);
    } else if (elemType === DataType.INT64) {
      t = makeInt64Tensor(name, [], [value]);
    } else if (elemType === DataType.FLOAT) {
      t = makeFloat32Tensor(name, [], [value]);
    } else {
      throw new PqvError(
        'MODEL_UNSUPPORTED',
        `Gradients are computed in float32 or float64; found element type ${elemType}.`,
      );
    }
    this.nodes.push(makeNode('Constant', [], [name], { value: t }, this.fresh(`${this.prefix}/const_node`)));
    this.constCache.set(key, name);
    return name;
  }

  scalar(value: number, like: string): string {
    return this.typedScalar(value, this.info(like).elemType);
  }

  ints(values: readonly number[]): string {
    const key = `i:${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const name = this.fresh(`${this.prefix}/ints`);
    this.nodes.push(
      makeNode(
        'Constant',
        [],
        [name],
        { value: makeInt64Tensor(name, [values.length], values) },
        this.fresh(`${this.prefix}/const_node`),
      ),
    );
    this.constCache.set(key, name);
    return name;
  }

  shapeOf(name: string): string {
    const info = this.info(name);
    if (!info.dynamic.some(Boolean)) return this.ints(info.dims);
    const hit = this.shapeCache.get(name);
    if (hit) return hit;
    const s = this.op('Shape', [name]);
    this.shapeCache.set(name, s);
    return s;
  }

  reduceTo(grad: string, from: string, to: string): string {
    const f = this.info(from);
    const t = this.info(to);
    const rf = f.dims.length;
    const rt = t.dims.length;
    if (rt > rf) throw new PqvError('INTERNAL', `Autodiff: cannot reduce ${from} (rank ${rf}) to ${to} (rank ${rt}).`);
    const pad = rf - rt;
    const axes: number[] = [];
    for (let i = 0; i < rf; i++) {
      if (i < pad) {
        axes.push(i);
        continue;
      }
      const td = t.dims[i - pad] as number;
      const tdyn = t.dynamic[i - pad] as boolean;
      if (tdyn) continue;
      if (td === 1 && (f.dynamic[i] || f.dims[i] !== 1)) axes.push(i);
    }
    if (axes.length === 0) return grad;
    const summed = this.reduceSum(grad, axes, true);
    return pad > 0 ? this.op('Reshape', [summed, this.shapeOf(to)]) : summed;
  }

  intValues(name: string): number[] | undefined {
    return this.infos.get(name)?.constValues;
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    if (this.opset >= 18) return this.op('ReduceMean', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op('ReduceMean', [x], { axes: [...axes], keepdims: keepdims ? 1 : 0 });
  }
}

/** Normalise a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Unsupported-op error naming the op and node. */
export function unsupported(node: NodeProto, why: string): PqvError {
  const where = node.name ? `node ${node.name}` : `a node producing ${node.output[0] ?? '?'}`;
  return new PqvError(
    'AUTODIFF_UNSUPPORTED_OP',
    `Cannot compute gradients through ${node.opType} (${where}): ${why}. Use magnitude importance (l1/l2) for this model, or re-export it with standard ops.`,
    { op: node.opType, node: node.name, output: node.output[0] },
  );
}
