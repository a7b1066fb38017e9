/**
 * Gradient statistics over calibration images, shared by the Taylor and Hessian (OBD) criteria and
 * usable by fine-tuning: the model's preprocessing, a deterministic class-balanced subset of an
 * ImageFolder, and accumulation of the mean gradient or of the mean squared per-sample gradient
 * (empirical Fisher diagonal) for chosen initializers.
 */
import type { ModelProto } from 'onnx-buf';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import type { PreprocessConfig } from '../../../common/types/evaluate.js';
import { imageBatches, type ImageBatch } from '../evaluate/batches.js';
import { balancedSubset, loadDataset } from '../evaluate/dataset.js';
import { resolvePreprocess } from '../evaluate/preprocess.js';
import { GradientSession, type FloatArray } from './gradient-session.js';
import { dataInput, declaredDims } from './shapes.js';

export const DEFAULT_CALIBRATION_SAMPLES = 256;
export const DEFAULT_CALIBRATION_BATCH = 32;

/** Where calibration images come from and how many to use. */
export interface CalibrationOptions extends LongOperationOptions {
  model: ModelProto;
  modelPath: string;
  dataDir: string;
  /** Number of images (class-balanced, deterministic). Default 256. */
  samples?: number;
  /** Images decoded and run per batch. Default 32. */
  batchSize?: number;
  /** Gradients will be taken per sample (batch size 1). */
  perSample?: boolean;
}

/** A gradient session over `wrt` plus the calibration batches of a dataset. */
export async function openCalibration(
  opts: CalibrationOptions,
  wrt: readonly string[],
): Promise<{ session: GradientSession; batches: AsyncGenerator<ImageBatch>; total: number; cfg: PreprocessConfig }> {
  const samples = opts.samples ?? DEFAULT_CALIBRATION_SAMPLES;
  if (!Number.isInteger(samples) || samples <= 0) {
    throw new PqvError('INVALID_ARGUMENT', `--samples must be a positive integer (got ${samples}).`);
  }
  const cfg = await resolvePreprocess(opts.modelPath, opts.model);
  const ds = await loadDataset(opts.dataDir);
  // A model exported with a fixed batch size only accepts batches of exactly that size.
  const fixedBatch = declaredDims(dataInput(opts.model))[0];
  if (fixedBatch !== undefined && fixedBatch > 1 && opts.perSample) {
    throw new PqvError(
      'MODEL_UNSUPPORTED',
      `This model only accepts batches of ${fixedBatch}, so per-sample gradients (hessian) are not possible. Re-export it with a dynamic batch, or use taylor.`,
    );
  }
  const batchSize = fixedBatch ?? opts.batchSize ?? DEFAULT_CALIBRATION_BATCH;
  let items = balancedSubset(ds, samples);
  if (fixedBatch !== undefined)
    items = items.slice(0, Math.max(fixedBatch, items.length - (items.length % fixedBatch)));
  if (items.length < batchSize && fixedBatch !== undefined) {
    throw new PqvError(
      'DATASET_INVALID',
      `This model only accepts batches of ${fixedBatch}; the dataset has only ${items.length} images.`,
    );
  }
  const sampleShape =
    cfg.layout === 'NHWC' ? [cfg.height, cfg.width, cfg.channels] : [cfg.channels, cfg.height, cfg.width];
  // Weights stay initializers: they are fixed here, and ONNX Runtime can pre-pack them.
  const session = await GradientSession.create(opts.model, {
    wrt,
    loss: { kind: 'cross-entropy' },
    sampleShape,
    weightsAsInputs: false,
  });
  const batches = imageBatches(items, cfg, batchSize, opts.signal);
  return { session, batches, total: items.length, cfg };
}

/** Float initializers among `names` (others have no gradient and score zero). */
export function differentiable(model: ModelProto, names: readonly string[]): string[] {
  const wanted = new Set(names);
  return (model.graph?.initializer ?? [])
    .filter((t) => wanted.has(t.name) && (t.dataType === 1 || t.dataType === 11))
    .map((t) => t.name);
}

function addInto(
  acc: Map<string, Float64Array>,
  grads: Map<string, FloatArray>,
  weight: number,
  square: boolean,
): void {
  for (const [name, g] of grads) {
    let a = acc.get(name);
    if (!a) {
      a = new Float64Array(g.length);
      acc.set(name, a);
    }
    if (square)
      for (let i = 0; i < g.length; i++) {
        const v = g[i] as number;
        a[i] = (a[i] as number) + weight * v * v;
      }
    else for (let i = 0; i < g.length; i++) a[i] = (a[i] as number) + weight * (g[i] as number);
  }
}

/**
 * Mean gradient of the cross-entropy over all samples: Σ_batches (n_b/N)·∇L_b, where L_b is the batch
 * mean, i.e. exactly (1/N)·Σ_n ∇ℓ_n whatever the batch split.
 */
export async function meanGradient(
  session: GradientSession,
  batches: AsyncIterable<ImageBatch>,
  total: number,
  o: LongOperationOptions & { stage?: string } = {},
): Promise<Map<string, Float64Array>> {
  const acc = new Map<string, Float64Array>();
  let done = 0;
  for await (const b of batches) {
    throwIfAborted(o.signal);
    const r = await session.run(b.data, b.dims, { labels: b.labels });
    addInto(acc, r.grads, b.labels.length / total, false);
    done += b.labels.length;
    o.onProgress?.({ stage: o.stage ?? 'importance', done, total, detail: 'gradients' });
  }
  return acc;
}

/**
 * Empirical Fisher diagonal: (1/N)·Σ_n (∇ℓ_n)², from one backward pass per sample (batch size 1), so
 * every sample contributes its own squared gradient (not the square of a batch mean).
 */
export async function fisherDiagonal(
  session: GradientSession,
  batches: AsyncIterable<ImageBatch>,
  total: number,
  o: LongOperationOptions & { stage?: string } = {},
): Promise<Map<string, Float64Array>> {
  const acc = new Map<string, Float64Array>();
  let done = 0;
  for await (const b of batches) {
    const per = b.data.length / b.labels.length;
    const dims = [1, ...b.dims.slice(1)];
    for (let i = 0; i < b.labels.length; i++) {
      throwIfAborted(o.signal);
      const r = await session.run(b.data.subarray(i * per, (i + 1) * per), dims, { labels: [b.labels[i] as number] });
      addInto(acc, r.grads, 1 / total, true);
      done++;
      o.onProgress?.({ stage: o.stage ?? 'importance', done, total, detail: 'per-sample gradients' });
    }
  }
  return acc;
}

/** Zero scores for every requested initializer (those without a gradient keep them). */
export function zeroScores(model: ModelProto, names: readonly string[]): Map<string, Float32Array> {
  const inits = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t]));
  const out = new Map<string, Float32Array>();
  for (const n of names) {
    const t = inits.get(n);
    if (!t) throw new PqvError('INVALID_ARGUMENT', `No initializer named ${n} in the model.`);
    out.set(n, new Float32Array(t.dims.reduce((a, d) => a * Number(d), 1)));
  }
  return out;
}
