/** Importance criteria and the shared group reduction (Torch-Pruning semantics). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PqvError } from '../../../src/common/errors.js';
import { reduceGroup, sumAlongAxis } from '../../../src/main/engine/prune/importance/reduce.js';
import { getElementScoreProvider } from '../../../src/main/engine/prune/importance/registry.js';
import { l1ElementScores, l2ElementScores } from '../../../src/main/engine/prune/importance/magnitude.js';
import type { DependencyGroup } from '../../../src/main/engine/prune/types.js';
import { loadFixture } from './helpers.js';

describe('group reduction', () => {
  it('sums along an axis', () => {
    // 2x3 matrix [[1,2,3],[4,5,6]]
    const s = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect([...sumAlongAxis(s, [2, 3], 0)]).toEqual([6, 15]);
    expect([...sumAlongAxis(s, [2, 3], 1)]).toEqual([5, 7, 9]);
  });

  it('sums per slice, averages over scored slices, normalises by the mean', () => {
    const g: DependencyGroup = {
      id: 'g',
      kind: 'mlp',
      units: 2,
      reshapes: [],
      slices: [
        { initializer: 'a', node: 0, input: 1, axis: 1, role: 'weight', indices: [[0], [1, 2]] },
        { initializer: 'b', node: 1, input: 1, axis: 0, role: 'weight', indices: [[0], [1]] },
        { initializer: 'c', node: 2, input: 1, axis: 0, role: 'bias', indices: [[0], [1]] },
      ],
    };
    const scores = new Map([
      ['a', Float32Array.from([1, 2, 3, 4, 5, 6])],
      ['b', Float32Array.from([10, 0])],
      ['c', Float32Array.from([100, 100])],
    ]);
    const dims = new Map([['a', [2, 3]], ['b', [2]], ['c', [2]]]);
    // a: unit0 = 5, unit1 = 16; b: unit0 = 10, unit1 = 0; mean over 2 weight slices: [7.5, 8]; / mean 7.75
    const r = reduceGroup(g, scores, dims);
    expect(r[0]).toBeCloseTo(7.5 / 7.75, 10);
    expect(r[1]).toBeCloseTo(8 / 7.75, 10);
  });

  it('l1 and l2 element scores are |w| and w^2', async () => {
    const { model } = await loadFixture('timm-vit-op17');
    const req = { model, modelPath: '', initializers: ['head.weight'] };
    const l1 = (await l1ElementScores(req)).get('head.weight') as Float32Array;
    const l2 = (await l2ElementScores(req)).get('head.weight') as Float32Array;
    expect(l1.length).toBe(640);
    for (let i = 0; i < l1.length; i += 37) expect(l2[i]).toBeCloseTo((l1[i] as number) ** 2, 6);
    expect(l1.every((x) => x >= 0)).toBe(true);
  });
});

describe('registry', () => {
  it('serves the weight criteria and rejects unknown names', async () => {
    expect(await getElementScoreProvider('l1')).toBe(l1ElementScores);
    expect(await getElementScoreProvider('l2')).toBe(l2ElementScores);
    await expect(getElementScoreProvider('nope' as 'l1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  for (const method of ['taylor', 'hessian'] as const) {
    it(`loads ${method} when its module exists, else says it is unavailable`, async () => {
      const file = join(import.meta.dirname, `../../../src/main/engine/prune/importance/${method}.ts`);
      if (existsSync(file)) expect(typeof (await getElementScoreProvider(method))).toBe('function');
      else {
        const err = await getElementScoreProvider(method).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(PqvError);
        expect((err as PqvError).code).toBe('IMPORTANCE_UNAVAILABLE');
      }
    });
  }
});
