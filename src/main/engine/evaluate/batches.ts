/**
 * Batches of preprocessed images for evaluation, calibration and importance estimation.
 */
import { throwIfAborted } from '../../../common/errors.js';
import type { PreprocessConfig } from '../../../common/types/evaluate.js';
import type { DatasetItem } from './dataset.js';
import { imageSize, loadImageInto } from './preprocess.js';

export interface ImageBatch {
  /** Input tensor data, `dims` = [n, C, H, W] (or NHWC). */
  data: Float32Array;
  dims: number[];
  labels: number[];
  /** Index of the first item of this batch in the item list. */
  start: number;
}

/** Decode `items` into batches of `batchSize`, decoding a few images concurrently. */
export async function* imageBatches(
  items: readonly DatasetItem[],
  cfg: PreprocessConfig,
  batchSize: number,
  signal?: AbortSignal,
): AsyncGenerator<ImageBatch> {
  const per = imageSize(cfg);
  for (let start = 0; start < items.length; start += batchSize) {
    throwIfAborted(signal);
    const chunk = items.slice(start, start + batchSize);
    const data = new Float32Array(chunk.length * per);
    await Promise.all(chunk.map((it, i) => loadImageInto(it.path, cfg, data, i * per)));
    const dims =
      cfg.layout === 'NHWC'
        ? [chunk.length, cfg.height, cfg.width, cfg.channels]
        : [chunk.length, cfg.channels, cfg.height, cfg.width];
    yield { data, dims, labels: chunk.map((c) => c.label), start };
  }
}
