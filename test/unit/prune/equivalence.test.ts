/**
 * Pruned models are exact: ratio 0 changes nothing, removing heads / MLP units equals masking them
 * in the original, pruned models run at batch 1 and 4, and parameter counts follow the formula.
 */
import { describe, expect, it } from 'vitest';
import { discoverVit } from '../../../src/main/engine/vit/discover.js';
import { analyticParams, countParams, shapeOf } from '../../../src/main/engine/prune/count.js';
import { planPruning } from '../../../src/main/engine/prune/plan.js';
import { applyPruningPlan } from '../../../src/main/engine/prune/prune.js';
import type { ModelProto } from 'onnx-buf';
import { loadFixture, MANIFEST, maskParam, maxAbsDiff, repeatInput, runModel } from './helpers.js';

const SHAPE = [1, 3, 224, 224];

describe.each(MANIFEST.map((m) => [m.name, m] as const))('%s', (name, m) => {
  it('ratio 0 reproduces the original logits', async () => {
    const { model, input } = await loadFixture(name);
    const vit = discoverVit(model);
    const plan = await planPruning(model, vit, { ratio: 0, target: 'all' });
    expect(plan.groups.every((g) => g.removed.length === 0)).toBe(true);
    const pruned = applyPruningPlan(model, plan);
    const a = await runModel(model, input, SHAPE);
    const b = await runModel(pruned, input, SHAPE);
    expect(maxAbsDiff(a.data, b.data)).toBeLessThanOrEqual(1e-5);
  });

  it('removing heads equals zeroing their projection rows', async () => {
    const { model, input } = await loadFixture(name);
    const vit = discoverVit(model);
    const plan = await planPruning(model, vit, { ratio: 0.5, target: 'heads', method: 'l2' });
    let masked: ModelProto = model;
    for (const g of plan.groups) {
      const b = vit.blocks[g.block as number];
      if (!b) throw new Error('no block');
      expect(g.removed).toHaveLength(2);
      const rows = g.removed.flatMap((h) => Array.from({ length: b.headDim }, (_, d) => h * b.headDim + d));
      const proj = b.attention.proj;
      masked = maskParam(masked, proj.weight, proj.layout === 'in-out' ? 0 : 1, rows);
    }
    const pruned = applyPruningPlan(model, plan);
    const after = discoverVit(pruned);
    expect(after.blocks.map((b) => b.heads)).toEqual([2, 2]);
    const a = await runModel(masked, input, SHAPE);
    const p = await runModel(pruned, input, SHAPE);
    const orig = await runModel(model, input, SHAPE);
    expect(maxAbsDiff(a.data, p.data)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(orig.data, p.data)).toBeGreaterThan(1e-3);
  });

  it('removing MLP units equals zeroing their fc2 rows', async () => {
    const { model, input } = await loadFixture(name);
    const vit = discoverVit(model);
    const plan = await planPruning(model, vit, { ratio: 0.3, target: 'mlp', method: 'l1', global: true });
    let masked: ModelProto = model;
    for (const g of plan.groups) {
      const fc2 = (vit.blocks[g.block as number] as (typeof vit.blocks)[number]).mlp.fc2;
      masked = maskParam(masked, fc2.weight, fc2.layout === 'in-out' ? 0 : 1, g.removed);
    }
    const total = plan.groups.reduce((a, g) => a + g.removed.length, 0);
    expect(total).toBe(Math.floor(0.3 * m.mlp * m.depth));
    const pruned = applyPruningPlan(model, plan);
    const a = await runModel(masked, input, SHAPE);
    const p = await runModel(pruned, input, SHAPE);
    expect(maxAbsDiff(a.data, p.data)).toBeLessThanOrEqual(1e-4);
  });

  it('all targets: counts follow the formula and batches run', async () => {
    const { model, input } = await loadFixture(name);
    const vit = discoverVit(model);
    const plan = await planPruning(model, vit, { ratio: 0.5, target: 'all', method: 'l2', roundTo: 8 });
    const pruned = applyPruningPlan(model, plan);
    const after = discoverVit(pruned);
    expect(after.dim).toBe(plan.after.dim);
    expect(after.dim % 8).toBe(0);
    expect(after.blocks.map((b) => b.heads)).toEqual(plan.after.heads);
    expect(after.blocks.map((b) => b.mlpHidden)).toEqual(plan.after.mlp);
    const expected = analyticParams({
      ...shapeOf(vit),
      dim: plan.after.dim,
      blocks: plan.after.heads.map((h, i) => ({
        heads: h,
        headDim: plan.after.headDim[i] as number,
        mlp: plan.after.mlp[i] as number,
      })),
    });
    expect(countParams(after)).toBe(expected);
    expect(expected).toBeLessThan(m.params / 2);
    const one = await runModel(pruned, input, SHAPE);
    expect(one.dims).toEqual([1, m.classes]);
    if (m.dynamic !== false) {
      const four = await runModel(pruned, repeatInput(input, 4), [4, 3, 224, 224]);
      expect(four.dims).toEqual([4, m.classes]);
      for (let i = 0; i < 4; i++)
        expect(maxAbsDiff(four.data.subarray(i * m.classes, (i + 1) * m.classes), one.data)).toBeLessThan(1e-4);
    }
  });

  it('head-dim and embed pruning run with unchanged output shape', async () => {
    const { model, input, logits } = await loadFixture(name);
    const vit = discoverVit(model);
    const hd = applyPruningPlan(model, await planPruning(model, vit, { ratio: 0.25, target: 'head-dims' }));
    expect(discoverVit(hd).blocks.map((b) => b.headDim)).toEqual([12, 12]);
    expect((await runModel(hd, input, SHAPE)).dims).toEqual([1, m.classes]);
    const small = applyPruningPlan(
      model,
      await planPruning(model, vit, { ratio: 1 / 64, target: 'embed', method: 'l2' }),
    );
    expect(discoverVit(small).dim).toBe(63);
    const out = await runModel(small, input, SHAPE);
    expect(out.dims).toEqual([1, m.classes]);
    const spread = Math.max(...logits) - Math.min(...logits);
    expect(maxAbsDiff(out.data, logits)).toBeLessThan(0.5 * spread);
  });
});
