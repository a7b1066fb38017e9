/**
 * Whole-model gradients of every ViT export fixture against finite differences (float32).
 *
 * Tolerance: central differences with a step of 1e-2 on the 2
 * largest-|gradient| elements of each sampled tensor, error ≤ 1e-4 + 5%·|numeric|. In float32 the
 * loss (~2.3) carries rounding noise of ~1e-6 through a few hundred ops, so a difference quotient
 * is only good to ~1e-4 absolute; small gradient entries are therefore dominated by noise and the
 * check samples the large ones. Measured worst case over the fixtures is ~2%.
 * A second check moves all weights together along the normalised gradient u = g/‖g‖: the
 * directional derivative (L(w+hu) − L(w−hu))/2h must equal ‖g‖ within 2%.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../src/main/engine/onnx/model-io.js';
import { GradientSession } from '../../../src/main/engine/autodiff/gradient-session.js';
import { finiteDifferenceCheck } from './helpers.js';

const DIR = join(import.meta.dirname, '../../fixtures/vit-exports');
const NAMES = [
  'timm-vit-op13',
  'timm-vit-op14',
  'timm-vit-op17',
  'timm-deit-distilled-op17',
  'hf-vit-op13',
  'hf-vit-op17-static',
  'mha-vit-op14',
];

function f32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

describe.each(NAMES)('%s', (name) => {
  it('loss/logits match the reference and gradients match finite differences', async () => {
    const { model } = await loadModel(join(DIR, `${name}.onnx`));
    const wrt = (model.graph?.initializer ?? []).filter((t) => t.dataType === 1).map((t) => t.name);
    const session = await GradientSession.create(model, { wrt, loss: { kind: 'cross-entropy' } });
    try {
      expect(session.backward.unused).toEqual([]);
      const x = f32(join(DIR, `${name}.input.f32`));
      const ref = f32(join(DIR, `${name}.logits.f32`));
      const dims = [1, 3, 224, 224];
      const target = { labels: [3] };
      const r = await session.run(x, dims, target);
      for (let i = 0; i < 10; i++) expect(r.logits[i]).toBeCloseTo(ref[i] as number, 3);
      const m = Math.max(...ref);
      const lse = m + Math.log(Array.from(ref).reduce((s, v) => s + Math.exp(v - m), 0));
      expect(r.loss).toBeCloseTo(lse - (ref[3] as number), 3);

      // Sample 6 tensors spread over the model (first, last, and evenly in between).
      const step = Math.max(1, Math.floor(wrt.length / 5));
      const only = wrt.filter((_, i) => i % step === 0 || i === wrt.length - 1).slice(0, 6);
      const rep = await finiteDifferenceCheck(session, x, dims, target, {
        h: 1e-2,
        atol: 1e-4,
        rtol: 0.05,
        maxPerTensor: 2,
        only,
      });
      expect(rep.checked).toBe(only.length * 2);
      expect(rep.worst, rep.detail).toBeLessThanOrEqual(1);

      // Directional derivative along the normalised full gradient.
      let norm2 = 0;
      for (const g of r.grads.values()) for (const v of g) norm2 += v * v;
      const norm = Math.sqrt(norm2);
      const h = 1e-2;
      const shifted = async (sign: number): Promise<number> => {
        const moved = new Map<string, Float32Array>();
        for (const [w, g] of r.grads) {
          const base = session.weight(w) as Float32Array;
          moved.set(
            w,
            Float32Array.from(base, (v, i) => v + (sign * h * (g[i] as number)) / norm),
          );
        }
        const originals = new Map(
          [...r.grads.keys()].map((w) => [w, Float32Array.from(session.weight(w) as Float32Array)]),
        );
        session.setWeights(moved);
        const l = (await session.run(x, dims, target)).loss;
        session.setWeights(originals);
        return l;
      };
      const dd = ((await shifted(1)) - (await shifted(-1))) / (2 * h);
      expect(Math.abs(dd - norm) / norm).toBeLessThan(0.02);
    } finally {
      await session.release();
    }
  });
});
