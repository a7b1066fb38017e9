/** Every ViT export fixture runs in onnxruntime-node and reproduces the PyTorch logits. */
import { describe, expect, it } from 'vitest';
import { loadFixture, MANIFEST, maxAbsDiff, runModel } from '../prune/helpers.js';

describe('vit-exports fixtures', () => {
  for (const m of MANIFEST) {
    it(`${m.name} matches its reference logits`, async () => {
      const { model, input, logits } = await loadFixture(m.name);
      const out = await runModel(model, input, [1, 3, 224, 224]);
      expect(out.dims).toEqual([1, m.classes]);
      expect(maxAbsDiff(out.data, logits)).toBeLessThan(1e-4);
    });
  }
});
