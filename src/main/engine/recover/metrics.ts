/**
 * How close a student's logits are to the teacher's: KL(teacher ‖ student) at temperature 1, top-1
 * accuracy against labels, and top-1 agreement with the teacher.
 */
import type { ModelProto } from 'onnx-buf';
import { logitsOf, type ImageSet } from './activations.js';

/** Agreement of a student with its teacher on a set of images. */
export interface LogitStats {
  /** Mean KL(softmax(teacher) ‖ softmax(student)) in nats. */
  kl: number;
  /** Top-1 accuracy against the labels, in [0, 1]. */
  top1: number;
  /** Fraction of images where student and teacher predict the same class. */
  agreement: number;
  images: number;
}

function logSoftmaxRow(x: Float32Array, off: number, c: number, out: Float64Array, t = 1): void {
  let max = -Infinity;
  for (let k = 0; k < c; k++) max = Math.max(max, (x[off + k] as number) / t);
  let sum = 0;
  for (let k = 0; k < c; k++) sum += Math.exp((x[off + k] as number) / t - max);
  const lse = max + Math.log(sum);
  for (let k = 0; k < c; k++) out[k] = (x[off + k] as number) / t - lse;
}

function argmax(x: Float32Array, off: number, c: number): number {
  let best = 0;
  for (let k = 1; k < c; k++) if ((x[off + k] as number) > (x[off + best] as number)) best = k;
  return best;
}

/** Compare student and teacher logits ([n, classes] each). */
export function compareLogits(
  student: Float32Array,
  teacher: Float32Array,
  labels: readonly number[],
  classes: number,
): LogitStats {
  const n = labels.length;
  const ls = new Float64Array(classes);
  const lt = new Float64Array(classes);
  let kl = 0;
  let top1 = 0;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    const off = i * classes;
    logSoftmaxRow(student, off, classes, ls);
    logSoftmaxRow(teacher, off, classes, lt);
    for (let k = 0; k < classes; k++) kl += Math.exp(lt[k] as number) * ((lt[k] as number) - (ls[k] as number));
    const a = argmax(student, off, classes);
    if (a === labels[i]) top1++;
    if (a === argmax(teacher, off, classes)) agree++;
  }
  return { kl: n ? kl / n : 0, top1: n ? top1 / n : 0, agreement: n ? agree / n : 0, images: n };
}

/** Run `model` on `set` and compare with the teacher logits of the same images. */
export async function statsOf(
  model: ModelProto,
  set: ImageSet,
  teacher: Float32Array,
  batchSize = 100,
  signal?: AbortSignal,
): Promise<LogitStats> {
  const s = await logitsOf(model, set, batchSize, signal);
  return compareLogits(s.data, teacher, set.labels, s.classes);
}

/**
 * Soft targets mixing the teacher with the labels, as logits at temperature `t`:
 * t · log((1 − w) · softmax(teacher / t) + w · onehot(label)). With w = 0 this is the teacher's
 * distribution itself.
 */
export function mixedTargets(
  teacher: Float32Array,
  labels: readonly number[],
  classes: number,
  t: number,
  w: number,
): Float32Array {
  if (w <= 0) return teacher;
  const out = new Float32Array(teacher.length);
  const lt = new Float64Array(classes);
  labels.forEach((label, i) => {
    const off = i * classes;
    logSoftmaxRow(teacher, off, classes, lt, t);
    for (let k = 0; k < classes; k++) {
      const p = (1 - w) * Math.exp(lt[k] as number) + (k === label ? w : 0);
      out[off + k] = t * Math.log(Math.max(p, 1e-12));
    }
  });
  return out;
}
