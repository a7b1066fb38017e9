/**
 * Output error of every linear layer of a pruned (or recovered) model against the original model's
 * same layer on a set of images: ‖Y_model − Y_orig[kept channels]‖² / ‖Y_orig[kept channels]‖², each
 * model running on its own inputs (errors accumulate through the network, as in use).
 */
import type { ModelProto } from 'onnx-buf';
import { throwIfAborted } from '../../../common/errors.js';
import { discoverVit } from '../vit/discover.js';
import { ActivationRunner, sliceImages, type ImageSet } from './activations.js';
import { layerPairs, type LayerRole } from './reconstruct.js';

export interface LayerError {
  layer: string;
  role: LayerRole;
  block?: number;
  /** Relative squared error. */
  error: number;
}

/** Relative output error of each linear layer of `model` against `original` on `set`. */
export async function layerErrors(
  model: ModelProto,
  original: ModelProto,
  set: ImageSet,
  batchSize = 20,
  signal?: AbortSignal,
): Promise<LayerError[]> {
  const pairs = layerPairs(model, discoverVit(model), original, discoverVit(original));
  const mRun = await ActivationRunner.create(
    model,
    pairs.map((p) => p.p.output),
  );
  const oRun = await ActivationRunner.create(
    original,
    pairs.map((p) => p.o.output),
  );
  const sse = new Float64Array(pairs.length);
  const ref = new Float64Array(pairs.length);
  try {
    for (let s = 0; s < set.count; s += batchSize) {
      throwIfAborted(signal);
      const b = sliceImages(set, s, batchSize);
      const ys = await mRun.run(b);
      const yo = await oRun.run(b);
      pairs.forEach((pair, k) => {
        const a = (ys[k] as { data: Float32Array }).data;
        const o = (yo[k] as { data: Float32Array }).data;
        const m = pair.outMap.length;
        const w = pair.o.outFeatures;
        const rows = a.length / m;
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < m; c++) {
            const y = o[r * w + (pair.outMap[c] as number)] as number;
            const d = (a[r * m + c] as number) - y;
            sse[k] = (sse[k] as number) + d * d;
            ref[k] = (ref[k] as number) + y * y;
          }
        }
      });
    }
  } finally {
    await Promise.all([mRun.release(), oRun.release()]);
  }
  return pairs.map((p, k) => ({
    layer: p.p.name,
    role: p.role,
    ...(p.block !== undefined ? { block: p.block } : {}),
    error: (sse[k] as number) / Math.max(ref[k] as number, 1e-30),
  }));
}
