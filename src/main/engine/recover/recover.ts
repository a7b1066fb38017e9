/**
 * `recoverAccuracy`: bring a pruned ViT back towards the model it was pruned from, by closed-form
 * layer-wise reconstruction, knowledge distillation, or both (reconstruction first), and report how
 * close the student is to the teacher before and after.
 */
import type { ModelProto } from 'onnx-buf';
import { PqvError, isPqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import type { PreprocessConfig } from '../../../common/types/evaluate.js';
import { resolvePreprocess } from '../evaluate/preprocess.js';
import { loadImageSet, logitsOf, staticBatch, truncateSet, type ImageSet } from './activations.js';
import { distillModel, distillSettings, type DistillOptions } from './distill.js';
import { compareLogits, type LogitStats } from './metrics.js';
import { reconstructModel, type LayerReconstruction, type ReconstructOptions } from './reconstruct.js';

import { RECOVERY_METHODS, type RecoveryMethodName as RecoveryMethod } from '../../../common/types/sweep.js';

export { RECOVERY_METHODS, type RecoveryMethod };

/** Default peak learning rate of the distillation that follows reconstruction (`both`). */
export const DEFAULT_LR_AFTER_RECONSTRUCT = 3e-5;

/** Default number of calibration images. */
export const DEFAULT_RECOVERY_SAMPLES = 500;

/** Options of `recoverAccuracy`. */
export interface RecoverOptions {
  /** Default `both`. */
  method?: RecoveryMethod;
  /** Calibration images (ImageFolder or labels.csv); a deterministic class-balanced subset of `samples` (default 500). */
  calibration: { dataDir: string; samples?: number };
  /** Held-out images for the before/after numbers of the report. Default: the calibration images. */
  validation?: { dataDir: string; samples?: number };
  /** Paths of the pruned model and the teacher, where preprocessing sidecars are looked up (model metadata first). */
  modelPath?: string;
  teacherPath?: string;
  /** Preprocessing fields that override the models' metadata/sidecar. */
  preprocess?: Partial<PreprocessConfig>;
  /** Reconstruction settings (`layers`, `alpha`, `batchSize`, `precision`). */
  reconstruct?: Omit<ReconstructOptions, 'threads'>;
  /** Distillation settings (`steps`, `lr`, `batchSize`, `temperature`, `labelWeight`…); `lr` defaults to 3e-5 with `both`. */
  distill?: Omit<DistillOptions, 'threads'>;
  /** ONNX Runtime intra-op threads (0 = default). */
  threads?: number;
}

/** What recovery did and how close the student got to the teacher. */
export interface RecoveryReport {
  method: RecoveryMethod;
  calibrationImages: number;
  /** Where `before`/`after` were measured. */
  evaluatedOn: { source: 'validation' | 'calibration'; images: number };
  teacher: LogitStats;
  before: LogitStats;
  afterReconstruct?: LogitStats;
  after: LogitStats;
  reconstruction?: { layers: LayerReconstruction[]; seconds: number };
  distillation?: {
    steps: number;
    batchSize: number;
    lr: number;
    temperature: number;
    labelWeight: number;
    lossFirst: number;
    lossLast: number;
    losses: number[];
    seconds: number;
  };
  seconds: number;
}

export interface RecoverResult {
  model: ModelProto;
  report: RecoveryReport;
}

async function preprocessFor(o: RecoverOptions, pruned: ModelProto, original: ModelProto): Promise<PreprocessConfig> {
  try {
    return await resolvePreprocess(o.modelPath ?? '<pruned model>', pruned, o.preprocess);
  } catch (e) {
    if (!isPqvError(e) || e.code !== 'PREPROCESS_MISSING' || (!o.teacherPath && original.metadataProps.length === 0))
      throw e;
    return resolvePreprocess(o.teacherPath ?? '<teacher model>', original, o.preprocess);
  }
}

/** Recover the accuracy of `pruned` using `original` (the model it was pruned from) as the teacher. */
export async function recoverAccuracy(
  pruned: ModelProto,
  original: ModelProto,
  options: RecoverOptions,
  op: LongOperationOptions = {},
): Promise<RecoverResult> {
  const started = Date.now();
  const method = options.method ?? 'both';
  if (!RECOVERY_METHODS.includes(method))
    throw new PqvError(
      'INVALID_ARGUMENT',
      `Unknown recovery method "${String(method)}". Use one of: ${RECOVERY_METHODS.join(', ')}.`,
    );
  // After reconstruction the student is already close to the teacher: a smaller step fine-tunes it
  // without undoing the fit (measured on the demo model, bench/recovery-table.ts).
  const lr = options.distill?.lr ?? (method === 'both' ? DEFAULT_LR_AFTER_RECONSTRUCT : undefined);
  const dist = method === 'reconstruct' ? undefined : distillSettings({ ...options.distill, lr });
  const cfg = await preprocessFor(options, pruned, original);
  op.onProgress?.({ stage: 'recover', done: 0, detail: 'loading images' });
  // A model with a fixed batch size runs whole batches of that size only.
  const fixed = staticBatch(pruned);
  const batch = fixed ?? 100;
  const calib = truncateSet(
    await loadImageSet(
      options.calibration.dataDir,
      options.calibration.samples ?? DEFAULT_RECOVERY_SAMPLES,
      cfg,
      op.signal,
    ),
    fixed ?? 1,
  );
  const val: ImageSet = options.validation
    ? truncateSet(
        await loadImageSet(options.validation.dataDir, options.validation.samples, cfg, op.signal),
        fixed ?? 1,
      )
    : calib;
  throwIfAborted(op.signal);
  const teacherCalib = await logitsOf(original, calib, batch, op.signal);
  const teacherVal = val === calib ? teacherCalib : await logitsOf(original, val, batch, op.signal);
  const measure = async (m: ModelProto): Promise<LogitStats> => {
    const s = await logitsOf(m, val, batch, op.signal);
    if (s.classes !== teacherVal.classes)
      throw new PqvError(
        'INVALID_ARGUMENT',
        `The pruned model has ${s.classes} outputs and the teacher ${teacherVal.classes}: pass the model it was pruned from as the teacher.`,
      );
    return compareLogits(s.data, teacherVal.data, val.labels, s.classes);
  };
  const teacher = compareLogits(teacherVal.data, teacherVal.data, val.labels, teacherVal.classes);
  const before = await measure(pruned);
  const report: Omit<RecoveryReport, 'after' | 'seconds'> = {
    method,
    calibrationImages: calib.count,
    evaluatedOn: { source: options.validation ? 'validation' : 'calibration', images: val.count },
    teacher,
    before,
  };
  let model = pruned;
  let afterReconstruct: LogitStats | undefined;
  if (method !== 'distill') {
    const t0 = Date.now();
    const r = await reconstructModel(model, original, calib, { ...options.reconstruct, threads: options.threads }, op);
    model = r.model;
    report.reconstruction = { layers: r.layers, seconds: (Date.now() - t0) / 1000 };
    afterReconstruct = await measure(model);
    if (method === 'both') report.afterReconstruct = afterReconstruct;
  }
  if (dist) {
    const t0 = Date.now();
    const r = await distillModel(
      model,
      teacherCalib.data,
      teacherCalib.classes,
      calib,
      { ...dist, ...(fixed ? { batchSize: fixed } : {}), threads: options.threads },
      op,
    );
    model = r.model;
    report.distillation = {
      steps: r.steps,
      batchSize: fixed ?? dist.batchSize,
      lr: dist.lr,
      temperature: dist.temperature,
      labelWeight: dist.labelWeight,
      lossFirst: r.losses[0] ?? NaN,
      lossLast: r.losses[r.losses.length - 1] ?? NaN,
      losses: r.losses,
      seconds: (Date.now() - t0) / 1000,
    };
  }
  const after = afterReconstruct && !dist ? afterReconstruct : await measure(model);
  return { model, report: { ...report, after, seconds: (Date.now() - started) / 1000 } };
}
