/** Plans: option validation, replay on the same model, refusal on another model, selection rules. */
import { describe, expect, it } from 'vitest';
import { PqvError } from '../../../src/common/errors.js';
import { discoverVit } from '../../../src/main/engine/vit/discover.js';
import { planPruning } from '../../../src/main/engine/prune/plan.js';
import { applyPruningPlan, parsePlan, pruneModel } from '../../../src/main/engine/prune/prune.js';
import { selectGlobal, selectUniform, roundKept } from '../../../src/main/engine/prune/select.js';
import { serializeModel } from '../../../src/main/engine/onnx/model-io.js';
import type { DependencyGroup } from '../../../src/main/engine/prune/types.js';
import { loadFixture, maxAbsDiff, runModel } from './helpers.js';

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return e instanceof PqvError ? e.code : 'not-coded';
  }
  return undefined;
}

const group = (units: number, block: number): DependencyGroup => ({
  id: `block${block}.heads`,
  kind: 'heads',
  block,
  units,
  slices: [],
  reshapes: [],
});

describe('planPruning', () => {
  it('rejects ratios outside [0, 1) and bad round-to', async () => {
    const { model } = await loadFixture('timm-vit-op17');
    const vit = discoverVit(model);
    for (const ratio of [1, 1.5, -0.1, Number.NaN])
      expect(await codeOf(planPruning(model, vit, { ratio }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(planPruning(model, vit, { ratio: 0.2, roundTo: 0 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(planPruning(model, vit, { ratio: 0.2, method: 'taylor' }))).toBe('INVALID_ARGUMENT');
  });

  it('replays a saved plan to the same model and refuses another model', async () => {
    const { model, input } = await loadFixture('timm-vit-op14');
    const direct = await pruneModel(model, { ratio: 0.4, target: 'all', method: 'l1' });
    const saved = parsePlan(JSON.parse(JSON.stringify(direct.plan)));
    const replayed = applyPruningPlan(model, saved);
    expect(serializeModel(replayed)).toEqual(serializeModel(direct.model));
    const a = await runModel(direct.model, input, [1, 3, 224, 224]);
    const b = await runModel(replayed, input, [1, 3, 224, 224]);
    expect(maxAbsDiff(a.data, b.data)).toBe(0);
    const other = (await loadFixture('timm-vit-op13')).model;
    expect(() => applyPruningPlan(other, saved)).toThrow(/another model/);
    expect(() => parsePlan({ format: 'x' })).toThrow(PqvError);
    expect(direct.after.params).toBeLessThan(direct.before.params);
    expect(direct.after.macs).toBeLessThan(direct.before.macs);
  });

  it('stops with CancelledError when aborted', async () => {
    const { model } = await loadFixture('timm-vit-op17');
    const ac = new AbortController();
    ac.abort();
    expect(await codeOf(planPruning(model, discoverVit(model), { ratio: 0.3 }, { signal: ac.signal }))).toBe(
      'CANCELLED',
    );
  });

  it('is deterministic for random with a seed and differs across seeds', async () => {
    const { model } = await loadFixture('hf-vit-op13');
    const vit = discoverVit(model);
    const p1 = await planPruning(model, vit, { ratio: 0.5, target: 'mlp', method: 'random', seed: 7 });
    const p2 = await planPruning(model, vit, { ratio: 0.5, target: 'mlp', method: 'random', seed: 7 });
    const p3 = await planPruning(model, vit, { ratio: 0.5, target: 'mlp', method: 'random', seed: 8 });
    expect(p1.groups).toEqual(p2.groups);
    expect(p1.groups).not.toEqual(p3.groups);
  });
});

describe('selection', () => {
  it('rounds kept counts up to a multiple', () => {
    expect(roundKept(13, 64, 8)).toBe(16);
    expect(roundKept(0, 64, 8)).toBe(8);
    expect(roundKept(60, 64, 8)).toBe(64);
    expect(roundKept(5, 6, 8)).toBe(6);
  });

  it('uniform removes the lowest scores of each group', () => {
    const g = [group(4, 0), group(4, 1)];
    const r = selectUniform(g, [Float64Array.from([3, 1, 2, 4]), Float64Array.from([1, 2, 3, 0])], 0.5, 1);
    expect(r).toEqual([
      [1, 2],
      [0, 3],
    ]);
  });

  it('global ranking never empties a block', () => {
    const g = [group(3, 0), group(3, 1)];
    const r = selectGlobal(g, [Float64Array.from([0.1, 0.2, 0.3]), Float64Array.from([5, 6, 7])], 0.8, 1);
    // Budget is 4 units; block 0 keeps its best head, so block 1 loses two.
    expect(r).toEqual([
      [0, 1],
      [0, 1],
    ]);
  });
});
