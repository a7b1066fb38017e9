/**
 * Knowledge-distillation fine-tuning of a pruned model: the student's logits are pulled towards the
 * teacher's with T²·KL(softmax(t/T) ‖ softmax(z/T)) (optionally mixed with the labels), gradients of
 * every float weight come from the autodiff `GradientSession`, and Adam(W) updates the weights with
 * a warm-up + cosine learning-rate schedule over shuffled batches of the calibration images.
 */
import { seededRandom } from '../util/random.js';
import type { ModelProto } from 'onnx-buf';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { GradientSession } from '../autodiff/gradient-session.js';
import { setFloat32 } from '../onnx/tensor.js';
import { gatherImages, type ImageSet } from './activations.js';
import { initializerTensor } from './channel-map.js';
import { mixedTargets } from './metrics.js';
import { floatWeights } from './model-utils.js';
import { cloneModel } from '../onnx/model-io.js';
import { Adam, cosineLr, globalNorm } from './optimizer.js';

/** Options of `distillModel`. */
export interface DistillOptions {
  /** Optimisation steps. Default 100. */
  steps?: number;
  /** Images per step. Default 32. */
  batchSize?: number;
  /** Peak learning rate. Default 3e-4. */
  lr?: number;
  /** Distillation temperature T. Default 2. */
  temperature?: number;
  /**
   * Weight w of the labels in the soft target (1 − w)·softmax(t/T) + w·onehot. Default 0 (pure
   * distillation). With T = 1 the loss is then w·cross-entropy + (1 − w)·KL up to a constant.
   */
  labelWeight?: number;
  /** Decoupled weight decay (AdamW) on weight matrices. Default 0. */
  weightDecay?: number;
  /** Warm-up steps. Default 5% of the steps. */
  warmupSteps?: number;
  /** Clip the global gradient norm to this value (0 = no clipping). Default 0. */
  clipNorm?: number;
  /** Seed of the batch order. Default 0. */
  seed?: number;
  /** ONNX Runtime intra-op threads (0 = default). */
  threads?: number;
}

/** What distillation did. */
export interface DistillResult {
  model: ModelProto;
  steps: number;
  /** Training loss of every step (on that step's batch, before the update). */
  losses: number[];
}

/** Validate distillation options (coded errors for user input). */
export function distillSettings(o: DistillOptions): Required<Omit<DistillOptions, 'threads'>> {
  const steps = o.steps ?? 100;
  const batchSize = o.batchSize ?? 32;
  const lr = o.lr ?? 3e-4;
  const temperature = o.temperature ?? 2;
  const labelWeight = o.labelWeight ?? 0;
  if (!Number.isInteger(steps) || steps < 1)
    throw new PqvError('INVALID_ARGUMENT', `--steps must be a positive integer (got ${steps}).`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new PqvError('INVALID_ARGUMENT', `--batch must be a positive integer (got ${batchSize}).`);
  if (!(lr > 0) || !Number.isFinite(lr))
    throw new PqvError('INVALID_ARGUMENT', `--lr must be a positive number (got ${lr}).`);
  if (!(temperature > 0))
    throw new PqvError('INVALID_ARGUMENT', `--temperature must be positive (got ${temperature}).`);
  if (!(labelWeight >= 0 && labelWeight <= 1))
    throw new PqvError('INVALID_ARGUMENT', `--label-weight must be in [0, 1] (got ${labelWeight}).`);
  return {
    steps,
    batchSize,
    lr,
    temperature,
    labelWeight,
    weightDecay: o.weightDecay ?? 0,
    warmupSteps: o.warmupSteps ?? Math.floor(steps * 0.05),
    clipNorm: o.clipNorm ?? 0,
    seed: o.seed ?? 0,
  };
}

/** Endless shuffled batches of indices 0..n−1 (a new permutation every epoch). */
function* batchOrder(n: number, size: number, seed: number): Generator<number[]> {
  const rand = seededRandom(seed);
  const b = Math.min(size, n);
  for (;;) {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
    }
    for (let s = 0; s + b <= n; s += b) yield perm.slice(s, s + b);
  }
}

/**
 * Fine-tune `student` (not modified; a trained copy is returned) towards `teacherLogits`
 * ([calib.count, classes], the teacher's logits of the calibration images).
 */
export async function distillModel(
  student: ModelProto,
  teacherLogits: Float32Array,
  classes: number,
  calib: ImageSet,
  options: DistillOptions = {},
  op: LongOperationOptions = {},
): Promise<DistillResult> {
  const o = distillSettings(options);
  if (teacherLogits.length !== calib.count * classes)
    throw new PqvError(
      'INVALID_ARGUMENT',
      `Expected ${calib.count * classes} teacher logits, got ${teacherLogits.length}.`,
    );
  const model = cloneModel(student);
  const wrt = floatWeights(model);
  const targets = mixedTargets(teacherLogits, calib.labels, classes, o.temperature, o.labelWeight);
  op.onProgress?.({ stage: 'distill', done: 0, total: o.steps, detail: 'building gradients' });
  const session = await GradientSession.create(model, {
    wrt,
    loss: { kind: 'kl', temperature: o.temperature },
    sampleShape: calib.sampleDims,
    threads: options.threads,
  });
  try {
    const params = new Map<string, Float32Array>();
    const ranks = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t.dims.length]));
    for (const w of session.backward.weightInputs) {
      const v = session.weight(w);
      if (v) params.set(w, Float32Array.from(v));
    }
    const adam = new Adam(params, { weightDecay: o.weightDecay, decay: (n) => (ranks.get(n) ?? 0) >= 2 });
    const losses: number[] = [];
    const order = batchOrder(calib.count, o.batchSize, o.seed);
    for (let step = 0; step < o.steps; step++) {
      throwIfAborted(op.signal);
      const idx = order.next().value as number[];
      const batch = gatherImages(calib, idx);
      const target = new Float32Array(idx.length * classes);
      idx.forEach((i, k) => target.set(targets.subarray(i * classes, (i + 1) * classes), k * classes));
      const r = await session.run(batch.data, batch.dims, { teacherLogits: target });
      if (!Number.isFinite(r.loss))
        throw new PqvError(
          'INFERENCE_FAILED',
          `Distillation diverged at step ${step + 1} (loss ${r.loss}). Lower --lr.`,
        );
      losses.push(r.loss);
      let grads = r.grads;
      if (o.clipNorm > 0) {
        const norm = globalNorm(grads);
        if (norm > o.clipNorm) {
          const k = o.clipNorm / norm;
          grads = new Map([...grads].map(([n, g]) => [n, Float32Array.from(g, (x) => x * k)]));
        }
      }
      adam.step(grads, cosineLr(step, o.steps, o.lr, o.warmupSteps));
      session.setWeights(params);
      op.onProgress?.({ stage: 'distill', done: step + 1, total: o.steps, detail: `loss ${r.loss.toFixed(4)}` });
    }
    for (const [name, p] of params) {
      const t = initializerTensor(model, name);
      setFloat32(t, t.dims.map(Number), p);
    }
    return { model, steps: o.steps, losses };
  } finally {
    await session.release();
  }
}
