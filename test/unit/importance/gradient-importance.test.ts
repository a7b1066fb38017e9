/**
 * Taylor and Hessian (OBD / empirical Fisher) element scores on the demo model with a handful of
 * calibration images, checked against per-sample gradients computed independently.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../../src/main/engine/onnx/model-io.js';
import { readFloat32 } from '../../../src/main/engine/onnx/tensor.js';
import { GradientSession } from '../../../src/main/engine/autodiff/gradient-session.js';
import { imageBatches } from '../../../src/main/engine/evaluate/batches.js';
import { balancedSubset, loadDataset } from '../../../src/main/engine/evaluate/dataset.js';
import { resolvePreprocess } from '../../../src/main/engine/evaluate/preprocess.js';
import { taylorElementScores } from '../../../src/main/engine/prune/importance/taylor.js';
import { hessianElementScores } from '../../../src/main/engine/prune/importance/hessian.js';
import { getElementScoreProvider } from '../../../src/main/engine/prune/importance/registry.js';

const MODEL = resolve('resources/demo/fmnist-deit-op17.onnx');
const CALIB = resolve('resources/demo/data/calib');
const NAMES = ['onnx::MatMul_575', 'blocks.4.fc1.bias', 'blocks.5.norm1.weight', 'head.weight'];
const N = 5;

/** Per-sample gradients of the cross-entropy for the first `n` balanced calibration images. */
async function perSampleGrads(n: number): Promise<Map<string, Float32Array>[]> {
  const { model } = await loadModel(MODEL);
  const cfg = await resolvePreprocess(MODEL, model);
  const items = balancedSubset(await loadDataset(CALIB), n);
  const session = await GradientSession.create(model, { wrt: NAMES, loss: { kind: 'cross-entropy' } });
  const out: Map<string, Float32Array>[] = [];
  for await (const b of imageBatches(items, cfg, 1)) {
    const r = await session.run(b.data, b.dims, { labels: b.labels });
    out.push(new Map([...r.grads].map(([k, v]) => [k, Float32Array.from(v)])));
  }
  await session.release();
  return out;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst / scale;
}

describe('gradient-based importance', async () => {
  const { model } = await loadModel(MODEL);
  const weights = new Map(
    model.graph?.initializer.filter((t) => NAMES.includes(t.name)).map((t) => [t.name, readFloat32(t)]),
  );
  const grads = await perSampleGrads(N);

  it('Taylor = |w · mean gradient| whatever the batch split (batches of 2+2+1)', async () => {
    const events: number[] = [];
    const scores = await taylorElementScores({
      model,
      modelPath: MODEL,
      initializers: NAMES,
      calibration: { dataDir: CALIB, samples: N, batchSize: 2 },
      onProgress: (e) => events.push(e.done),
    });
    expect(events.at(-1)).toBe(N);
    for (const name of NAMES) {
      const w = weights.get(name) as Float32Array;
      const expected = Float32Array.from(w, (v, i) =>
        Math.abs((v * grads.reduce((s, g) => s + ((g.get(name) as Float32Array)[i] as number), 0)) / N),
      );
      expect(maxRelDiff(scores.get(name) as Float32Array, expected), name).toBeLessThan(1e-3);
    }
  });

  it('Hessian = ½w²·mean of per-sample squared gradients over all N samples, not the last one', async () => {
    const scores = await hessianElementScores({
      model,
      modelPath: MODEL,
      initializers: NAMES,
      calibration: { dataDir: CALIB, samples: N, batchSize: 3 },
    });
    for (const name of NAMES) {
      const w = weights.get(name) as Float32Array;
      const perSample = grads.map((g) =>
        Float32Array.from(w, (v, i) => 0.5 * v * v * ((g.get(name) as Float32Array)[i] as number) ** 2),
      );
      const mean = Float32Array.from(w, (_, i) => perSample.reduce((s, p) => s + (p[i] as number), 0) / N);
      const got = scores.get(name) as Float32Array;
      expect(maxRelDiff(got, mean), name).toBeLessThan(1e-3);
      expect(maxRelDiff(got, perSample[N - 1] as Float32Array), name).toBeGreaterThan(0.1);
    }
  });

  it('the registry dispatches taylor and hessian to these providers', async () => {
    expect(await getElementScoreProvider('taylor')).toBe(taylorElementScores);
    expect(await getElementScoreProvider('hessian')).toBe(hessianElementScores);
  });

  it('needs calibration data, and stops when cancelled', async () => {
    await expect(taylorElementScores({ model, modelPath: MODEL, initializers: NAMES })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(hessianElementScores({ model, modelPath: MODEL, initializers: NAMES })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    const ac = new AbortController();
    ac.abort();
    await expect(
      hessianElementScores({
        model,
        modelPath: MODEL,
        initializers: NAMES,
        calibration: { dataDir: CALIB, samples: N },
        signal: ac.signal,
      }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
