/**
 * Recovery on the demo model pruned at 0.3 (L2: MLP hidden units, then one of three heads per block):
 * layer-wise reconstruction lowers every reconstructed layer's output error and the logits KL to the
 * teacher on held-out images; a few distillation steps lower the held-out KL too. Few images and
 * steps keep the file fast; the numbers are measured, not fixed.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelProto } from 'onnx-buf';
import { CancelledError } from '../../../src/common/errors.js';
import { resolvePreprocess } from '../../../src/main/engine/evaluate/preprocess.js';
import { loadModel } from '../../../src/main/engine/onnx/model-io.js';
import { pruneModel } from '../../../src/main/engine/prune/prune.js';
import { loadImageSet, logitsOf, type ImageSet } from '../../../src/main/engine/recover/activations.js';
import { distillModel } from '../../../src/main/engine/recover/distill.js';
import { layerErrors } from '../../../src/main/engine/recover/layer-error.js';
import { statsOf } from '../../../src/main/engine/recover/metrics.js';
import { reconstructModel } from '../../../src/main/engine/recover/reconstruct.js';
import { discoverVit } from '../../../src/main/engine/vit/discover.js';

const MODEL = resolve('resources/demo/fmnist-deit-op17.onnx');

let original: ModelProto;
let pruned: ModelProto;
let calib: ImageSet;
let heldOut: ImageSet;
let teacherHeldOut: Float32Array;

beforeAll(async () => {
  original = (await loadModel(MODEL)).model;
  const mlp = await pruneModel(original, { method: 'l2', target: 'mlp', ratio: 0.3 });
  pruned = (await pruneModel(mlp.model, { method: 'l2', target: 'heads', ratio: 0.34 })).model;
  const cfg = await resolvePreprocess(MODEL, original);
  calib = await loadImageSet(resolve('resources/demo/data/calib'), 40, cfg);
  heldOut = await loadImageSet(resolve('resources/demo/data/test'), 100, cfg);
  teacherHeldOut = (await logitsOf(original, heldOut, 50)).data;
});

describe('recovery on the pruned demo model', () => {
  it('the pruned model really lost MLP units and heads', () => {
    const v = discoverVit(pruned);
    expect(v.blocks.every((b) => b.mlpHidden < 768 && b.heads === 2)).toBe(true);
    expect(v.dim).toBe(192);
  });

  it('reconstruction of the pruned layers lowers their held-out output error and the logits KL', async () => {
    const r = await reconstructModel(pruned, original, calib, { layers: 'pruned' });
    const done = r.layers.filter((l) => !l.skipped);
    expect(done.map((l) => l.role).sort()).toEqual([...Array(6).fill('fc2'), ...Array(6).fill('proj')].sort());
    for (const l of done) expect(l.errorAfter).toBeLessThan(l.errorBefore);

    const before = await layerErrors(pruned, original, heldOut);
    const after = await layerErrors(r.model, original, heldOut);
    for (const l of done) {
      const b = before.find((x) => x.layer === l.layer);
      const a = after.find((x) => x.layer === l.layer);
      expect(b && a).toBeTruthy();
      expect(a?.error).toBeLessThan(b?.error ?? 0);
    }
    const klBefore = (await statsOf(pruned, heldOut, teacherHeldOut)).kl;
    const klAfter = (await statsOf(r.model, heldOut, teacherHeldOut)).kl;
    expect(klBefore).toBeGreaterThan(0.01);
    expect(klAfter).toBeLessThan(klBefore);
  });

  it('a few distillation steps lower the held-out KL to the teacher', async () => {
    const teacherCalib = await logitsOf(original, calib, 40);
    const r = await distillModel(pruned, teacherCalib.data, teacherCalib.classes, calib, {
      steps: 6,
      batchSize: 20,
      lr: 3e-4,
      warmupSteps: 0,
    });
    expect(r.losses).toHaveLength(6);
    const klBefore = (await statsOf(pruned, heldOut, teacherHeldOut)).kl;
    const klAfter = (await statsOf(r.model, heldOut, teacherHeldOut)).kl;
    expect(klAfter).toBeLessThan(klBefore);
    // The input model is left untouched.
    expect((await statsOf(pruned, heldOut, teacherHeldOut)).kl).toBe(klBefore);
  });

  it('stops with CancelledError when aborted, after reporting progress', async () => {
    const teacherCalib = await logitsOf(original, calib, 40);
    const abort = new AbortController();
    const stages: string[] = [];
    const run = distillModel(
      pruned,
      teacherCalib.data,
      teacherCalib.classes,
      calib,
      { steps: 50, batchSize: 8 },
      {
        signal: abort.signal,
        onProgress: (e) => {
          stages.push(`${e.stage}:${e.done}`);
          if (e.done === 2) abort.abort();
        },
      },
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(stages).toEqual(['distill:0', 'distill:1', 'distill:2']);
    await expect(reconstructModel(pruned, original, calib, {}, { signal: abort.signal })).rejects.toBeInstanceOf(
      CancelledError,
    );
  });
});
