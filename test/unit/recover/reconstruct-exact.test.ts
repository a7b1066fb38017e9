/**
 * Layer-wise reconstruction on a small timm ViT fixture with random inputs: when nothing is pruned it
 * keeps the model, and from deliberately corrupted linear weights it finds the original weights again
 * (each layer's least-squares problem has the original layer as its exact solution).
 *
 * Layers fed by a LayerNorm see inputs with one exact linear dependency (Σᵢ (xᵢ − βᵢ)/γᵢ = 0 for every
 * token), so their weights are determined only up to adding (1/γ)·uᵀ; there the test checks that the
 * difference has exactly that form. Pruned fixtures of the other export styles (aliased shared weights,
 * fixed batch size) are reconstructed too.
 */
import { describe, expect, it } from 'vitest';
import type { ModelProto } from 'onnx-buf';
import { setFloat32 } from '../../../src/main/engine/onnx/tensor.js';
import { discoverVit } from '../../../src/main/engine/vit/discover.js';
import type { LinearRef } from '../../../src/main/engine/vit/types.js';
import { logitsOf, type ImageSet } from '../../../src/main/engine/recover/activations.js';
import { initializerTensor, initializerValues, weightAt } from '../../../src/main/engine/recover/channel-map.js';
import { cloneModel } from '../../../src/main/engine/onnx/model-io.js';
import { reconstructModel } from '../../../src/main/engine/recover/reconstruct.js';
import { pruneModel } from '../../../src/main/engine/prune/prune.js';
import { compareLogits } from '../../../src/main/engine/recover/metrics.js';
import { loadFixture, maxAbsDiff } from '../prune/helpers.js';

function randomImages(count: number, seed: number): ImageSet {
  let s = seed;
  const per = 3 * 224 * 224;
  const data = Float32Array.from({ length: count * per }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 4 - 2;
  });
  return { data, sampleDims: [3, 224, 224], labels: Array.from({ length: count }, (_, i) => i % 10), count };
}

interface Checked {
  ref: LinearRef;
  gamma?: string;
}

/** Linear layers with the LayerNorm γ feeding them (if any). */
function linears(model: ModelProto): Checked[] {
  const v = discoverVit(model);
  const out: Checked[] = [];
  for (const b of v.blocks) {
    out.push({ ref: b.attention.qkv as LinearRef, gamma: b.norm1.gamma.initializer });
    out.push({ ref: b.attention.proj }, { ref: b.mlp.fc1, gamma: b.norm2.gamma.initializer }, { ref: b.mlp.fc2 });
  }
  for (const c of v.classifiers) out.push({ ref: c, gamma: v.finalNorms[v.finalNorms.length - 1]?.gamma.initializer });
  return out;
}

function paramNames(list: Checked[]): string[] {
  return list.flatMap(({ ref }) => [ref.weight.initializer, ...(ref.bias ? [ref.bias.initializer] : [])]);
}

/** Largest deviation of γ ⊙ (W' − W)[:, c] from its column mean, relative to ‖W‖ (0 when W' − W = (1/γ)·uᵀ). */
function offNullspace(after: Float32Array, before: Float32Array, gamma: Float32Array, ref: LinearRef): number {
  const a = weightAt(after, ref);
  const b = weightAt(before, ref);
  let worst = 0;
  for (let c = 0; c < ref.outFeatures; c++) {
    const d = Array.from({ length: ref.inFeatures }, (_, i) => (gamma[i] as number) * (a(i, c) - b(i, c)));
    const mean = d.reduce((x, y) => x + y, 0) / d.length;
    for (const v of d) worst = Math.max(worst, Math.abs(v - mean));
  }
  const scale = Math.sqrt(before.reduce((x, v) => x + v * v, 0) / before.length);
  return worst / scale;
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

describe('reconstructModel (nothing pruned)', () => {
  it('keeps an unpruned model and restores corrupted linear weights', async () => {
    const { model } = await loadFixture('timm-vit-op17');
    const images = randomImages(72, 1); // 72 rows for the classifier (64 inputs), 72·197 for the blocks
    const layers = linears(model);
    const names = paramNames(layers);
    expect(names.length).toBeGreaterThan(8);

    // 1) Unpruned and unchanged: the logits stay the same.
    const same = await reconstructModel(model, model, images, { layers: 'all', alpha: 1e-10, precision: 'float64' });
    const ref = await logitsOf(model, images, 24);
    expect(maxAbsDiff((await logitsOf(same.model, images, 24)).data, ref.data)).toBeLessThan(1e-3);
    for (const l of same.layers) expect(l.errorAfter).toBeLessThan(1e-6);

    // 2) Corrupt every linear weight and bias by ~30% noise: reconstruction finds the original values.
    const noisy = cloneModel(model);
    let s = 5;
    for (const n of names) {
      const v = initializerValues(noisy, n);
      const t = initializerTensor(noisy, n);
      setFloat32(
        t,
        t.dims.map(Number),
        Float32Array.from(v, (x) => {
          s = (s * 1103515245 + 12345) % 2147483648;
          return x + 0.3 * Math.abs(x) * ((s / 2147483648) * 2 - 1) + 0.01;
        }),
      );
    }
    for (const n of names)
      expect(relDiff(initializerValues(noisy, n), initializerValues(model, n))).toBeGreaterThan(0.05);
    const fixed = await reconstructModel(noisy, model, images, { layers: 'all', alpha: 1e-10, precision: 'float64' });
    expect(fixed.layers.every((l) => l.skipped === undefined)).toBe(true);
    for (const l of fixed.layers) {
      expect(l.errorBefore).toBeGreaterThan(1e-3);
      expect(l.errorAfter).toBeLessThan(1e-6);
    }
    for (const { ref, gamma } of layers) {
      const w = ref.weight.initializer;
      if (gamma)
        expect(
          offNullspace(
            initializerValues(fixed.model, w),
            initializerValues(model, w),
            initializerValues(model, gamma),
            ref,
          ),
        ).toBeLessThan(1e-3);
      else expect(relDiff(initializerValues(fixed.model, w), initializerValues(model, w))).toBeLessThan(1e-3);
      if (ref.bias && !gamma)
        expect(
          relDiff(initializerValues(fixed.model, ref.bias.initializer), initializerValues(model, ref.bias.initializer)),
        ).toBeLessThan(1e-3);
    }
    expect(maxAbsDiff((await logitsOf(fixed.model, images, 24)).data, ref.data)).toBeLessThan(1e-3);
  });
});

describe('reconstructModel on other export styles', () => {
  it.each([
    ['mha-vit-op14', 'layers that share aliased weights get their own copies'],
    ['hf-vit-op17-static', 'a fixed batch size of 1 is respected'],
  ])('%s: %s', async (name) => {
    const { model } = await loadFixture(name);
    const pruned = (await pruneModel(model, { method: 'l2', target: 'all', ratio: 0.3 })).model;
    const images = randomImages(name.includes('static') ? 48 : 72, 2);
    const batch = name.includes('static') ? 1 : 24;
    const r = await reconstructModel(pruned, model, images, { layers: 'all' });
    expect(r.layers.filter((l) => l.skipped && l.skipped !== 'no improvement')).toEqual([]);
    const teacher = await logitsOf(model, images, batch);
    const kl = async (m: ModelProto): Promise<number> =>
      compareLogits((await logitsOf(m, images, batch)).data, teacher.data, images.labels, teacher.classes).kl;
    expect(await kl(r.model)).toBeLessThan((await kl(pruned)) / 5);
  });
});
