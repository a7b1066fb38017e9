/**
 * Scalar losses appended to a forward graph, with the gradient of the loss w.r.t. the logits:
 *
 * - `cross-entropy`: mean over the batch of −log softmax(logits)[label]; extra input `labels` int64 [N].
 *   dL/dz = (softmax(z) − onehot(label)) / N.
 * - `kl`: knowledge distillation, T² · mean over the batch of KL(softmax(t/T) ‖ softmax(z/T)) (Hinton's
 *   T² keeps gradient magnitudes comparable across temperatures); extra input `teacher_logits` [N,C].
 *   dL/dz = T · (softmax(z/T) − softmax(t/T)) / N.
 * - `vjp`: L = Σ y ⊙ s for a given seed s (vector–Jacobian product; tests and custom objectives);
 *   extra input `grad_seed` shaped like the output. dL/dy = s.
 */
import { create } from '@bufbuild/protobuf';
import {
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type ValueInfoProto,
} from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import type { Emitter } from './context.js';

/** Which loss to differentiate. */
export type LossSpec =
  | { kind: 'cross-entropy' }
  | { kind: 'kl'; /** Distillation temperature. Default 1. */ temperature?: number }
  | { kind: 'vjp' };

export const LABELS_INPUT = 'labels';
export const TEACHER_INPUT = 'teacher_logits';
export const SEED_INPUT = 'grad_seed';

export interface EmittedLoss {
  /** Scalar loss tensor. */
  loss: string;
  /** dL/d(output). */
  gradOutput: string;
  /** The graph input the loss needs (labels, teacher logits or seed). */
  targetInput: ValueInfoProto;
}

/** A tensor ValueInfo; `undefined` dims are symbolic (`N`). */
export function valueInfo(name: string, elemType: number, dims: (number | undefined)[]): ValueInfoProto {
  const shape = create(TensorShapeProtoSchema, {
    dim: dims.map((d, i) =>
      create(TensorShapeProto_DimensionSchema, {
        value:
          d === undefined
            ? { case: 'dimParam', value: i === 0 ? 'N' : `d${i}` }
            : { case: 'dimValue', value: BigInt(d) },
      }),
    ),
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape }) },
    }),
  });
}

export function emitLoss(ctx: Emitter, output: string, spec: LossSpec): EmittedLoss {
  const info = ctx.info(output);
  const dims = info.dims.map((d, i) => (info.dynamic[i] ? undefined : d));
  if (spec.kind === 'vjp') {
    const loss = ctx.reduceSum(
      ctx.op('Mul', [output, SEED_INPUT]),
      info.dims.map((_, i) => i),
      false,
    );
    return { loss, gradOutput: SEED_INPUT, targetInput: valueInfo(SEED_INPUT, info.elemType, dims) };
  }
  if (info.dims.length !== 2) {
    throw new PqvError(
      'MODEL_UNSUPPORTED',
      `The loss needs logits of shape [batch, classes]; output ${output} has rank ${info.dims.length}.`,
    );
  }
  const classes = info.dims[1] as number;
  const batch = ctx.op('Gather', [ctx.op('Shape', [output]), ctx.typedScalar(0, 7)], { axis: 0 });
  const invN = ctx.op('Reciprocal', [ctx.op('Cast', [batch], { to: info.elemType })]);
  if (spec.kind === 'cross-entropy') {
    const range = ctx.ints(Array.from({ length: classes }, (_, i) => i));
    const onehot = ctx.op('Cast', [ctx.op('Equal', [ctx.op('Unsqueeze', [LABELS_INPUT, ctx.ints([1])]), range])], {
      to: info.elemType,
    });
    const logp = ctx.op('LogSoftmax', [output], { axis: 1 });
    const sum = ctx.reduceSum(ctx.op('Mul', [onehot, logp]), [0, 1], false);
    const loss = ctx.op('Neg', [ctx.op('Mul', [sum, invN])]);
    const gradOutput = ctx.op('Mul', [ctx.op('Sub', [ctx.op('Exp', [logp]), onehot]), invN]);
    return { loss, gradOutput, targetInput: valueInfo(LABELS_INPUT, 7, [dims[0]]) };
  }
  const t = spec.temperature ?? 1;
  if (!(t > 0)) throw new PqvError('INVALID_ARGUMENT', `Distillation temperature must be positive (got ${t}).`);
  const invT = ctx.scalar(1 / t, output);
  const logps = ctx.op('LogSoftmax', [ctx.op('Mul', [output, invT])], { axis: 1 });
  const logpt = ctx.op('LogSoftmax', [ctx.op('Mul', [TEACHER_INPUT, invT])], { axis: 1 });
  const pt = ctx.op('Exp', [logpt]);
  const kl = ctx.reduceSum(ctx.op('Mul', [pt, ctx.op('Sub', [logpt, logps])]), [0, 1], false);
  const loss = ctx.op('Mul', [ctx.op('Mul', [kl, invN]), ctx.scalar(t * t, output)]);
  const gradOutput = ctx.op('Mul', [
    ctx.op('Sub', [ctx.op('Exp', [logps]), pt]),
    ctx.op('Mul', [invN, ctx.scalar(t, output)]),
  ]);
  return { loss, gradOutput, targetInput: valueInfo(TEACHER_INPUT, info.elemType, dims) };
}
