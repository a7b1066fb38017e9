/**
 * Accuracy evaluation: top-1/top-5 of an image classifier on a labelled image folder, in batches, with the
 * model's own preprocessing.
 *
 * Threading: image decoding runs in sharp's libuv threads and inference in ONNX Runtime's thread pool, both
 * off the JavaScript thread; the JavaScript work per batch (normalisation, top-k) is a few milliseconds, so
 * the caller's event loop (Electron main process, server) stays responsive without a worker thread.
 * The next batch is decoded while the current one runs.
 */
import { resolve } from 'node:path';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import type { EvalResult, PreprocessConfig } from '../../../common/types/evaluate.js';
import { loadModel } from '../onnx/model-io.js';
import { createSession, runFloat } from '../onnx/session.js';
import { imageBatches, type ImageBatch } from './batches.js';
import { balancedSubset, loadDataset } from './dataset.js';
import { imageSize, resolvePreprocess } from './preprocess.js';
import { TopKCounter } from './topk.js';

/** What to evaluate. */
export interface EvaluateOptions {
  /** The .onnx model file. */
  modelPath: string;
  /** Dataset folder: ImageFolder tree or a folder with `labels.csv`. */
  dataDir: string;
  /** Deterministic class-balanced subset of this many images. */
  limit?: number;
  /** Batch size (default 32). Ignored when the model has a fixed batch dimension: that size is used. */
  batchSize?: number;
  /** Preprocessing fields that override the model's metadata/sidecar. */
  preprocess?: Partial<PreprocessConfig>;
  /** Intra-op threads for ONNX Runtime; 0/undefined lets it decide. */
  threads?: number;
}

/** Evaluate a model's accuracy. Coded errors: model file errors, DATASET_*, PREPROCESS_MISSING, INFERENCE_FAILED. */
export async function evaluateModel(
  opts: EvaluateOptions,
  { signal, onProgress }: LongOperationOptions = {},
): Promise<EvalResult> {
  const requested = opts.batchSize ?? 32;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new PqvError('INVALID_ARGUMENT', `--batch must be a whole number ≥ 1 (got ${requested}).`);
  }
  const modelPath = resolve(opts.modelPath);
  const loaded = await loadModel(modelPath);
  const cfg = await resolvePreprocess(modelPath, loaded.model, opts.preprocess ?? {});
  const dataset = await loadDataset(opts.dataDir);
  const items = balancedSubset(dataset, opts.limit);
  throwIfAborted(signal);

  // From the path, so ONNX Runtime resolves external data files itself.
  const session = await createSession(modelPath, { threads: opts.threads });
  try {
    const meta = session.inputMetadata[0];
    const first = meta && meta.isTensor ? meta.shape[0] : undefined;
    const staticBatch = typeof first === 'number' && first > 0 ? first : undefined;
    const batchSize = staticBatch ?? requested;
    const counter = new TopKCounter(dataset.classes.length);
    const total = items.length;
    onProgress?.({ stage: 'evaluate', done: 0, total });

    const it = imageBatches(items, cfg, batchSize, signal)[Symbol.asyncIterator]();
    let next = it.next();
    let done = 0;
    for (;;) {
      const r = await next;
      if (r.done) break;
      next = it.next(); // decode the next batch while this one runs
      next.catch(() => undefined); // errors surface when awaited
      throwIfAborted(signal);
      const batch = staticBatch ? padBatch(r.value, staticBatch, imageSize(cfg)) : r.value;
      const out = await runFloat(session, batch.data, batch.dims);
      const classes = out.dims[out.dims.length - 1] ?? 0;
      if (out.dims.length !== 2 || out.dims[0] !== batch.dims[0]) {
        throw new PqvError(
          'INFERENCE_FAILED',
          `The model output has shape [${out.dims.join(', ')}]; evaluation needs logits of shape [batch, classes].`,
        );
      }
      if (classes < dataset.classes.length) {
        throw new PqvError(
          'DATASET_INVALID',
          `The dataset has ${dataset.classes.length} classes but the model outputs only ${classes} scores. Check that the dataset matches the model.`,
        );
      }
      counter.add(out.data, classes, r.value.labels);
      done += r.value.labels.length;
      onProgress?.({ stage: 'evaluate', done, total });
    }
    return counter.result();
  } finally {
    await session.release();
  }
}

/** Zero-pad a batch to a model's fixed batch size (the padded rows' outputs are ignored). */
function padBatch(b: ImageBatch, size: number, per: number): ImageBatch {
  const n = b.labels.length;
  if (n === size) return b;
  const data = new Float32Array(size * per);
  data.set(b.data.subarray(0, n * per));
  return { ...b, data, dims: [size, ...b.dims.slice(1)] };
}
