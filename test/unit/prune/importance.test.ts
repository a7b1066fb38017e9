/** Importance criteria and the shared group reduction (Torch-Pruning semantics). */
import { describe, expect, it } from 'vitest';
import { PqvError } from '../../../src/common/errors.js';
import { reduceGroup, sumAlongAxis } from '../../../src/main/engine/prune/importance/reduce.js';
import { getElementScoreProvider } from '../../../src/main/engine/prune/importance/registry.js';
import { taylorElementScores } from '../../../src/main/engine/prune/importance/taylor.js';
import { hessianElementScores } from '../../../src/main/engine/prune/importance/hessian.js';
import { l1ElementScores, l2ElementScores } from '../../../src/main/engine/prune/importance/magnitude.js';
import { embedGroup } from '../../../src/main/engine/prune/groups.js';
import type { DependencyGroup } from '../../../src/main/engine/prune/types.js';
import type { LinearRef } from '../../../src/main/engine/vit/types.js';
import { dimsOf, readFloat32, setFloat32 } from '../../../src/main/engine/onnx/tensor.js';
import { discoverVit } from '../../../src/main/engine/vit/discover.js';
import type { ModelProto } from 'onnx-buf';
import { loadFixture } from './helpers.js';

/** Multiply index `channel` along `axis` of an initializer by `factor`, in place. */
function scaleChannel(model: ModelProto, initializer: string, axis: number, channel: number, factor: number): void {
  const t = model.graph?.initializer.find((x) => x.name === initializer);
  if (!t) throw new Error(`no initializer ${initializer}`);
  const dims = dimsOf(t);
  const data = readFloat32(t);
  const n = dims[axis] as number;
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  for (let o = 0; o < data.length / (n * inner); o++) {
    for (let k = 0; k < inner; k++)
      data[(o * n + channel) * inner + k] = (data[(o * n + channel) * inner + k] as number) * factor;
  }
  setFloat32(t, dims, data);
}

describe('group reduction', () => {
  it('sums along an axis', () => {
    // 2x3 matrix [[1,2,3],[4,5,6]]
    const s = Float32Array.from([1, 2, 3, 4, 5, 6]);
    expect([...sumAlongAxis(s, [2, 3], 0)]).toEqual([6, 15]);
    expect([...sumAlongAxis(s, [2, 3], 1)]).toEqual([5, 7, 9]);
  });

  it('sums per slice, normalises each slice by its mean, averages over scored slices, normalises by the mean', () => {
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
    const dims = new Map([
      ['a', [2, 3]],
      ['b', [2]],
      ['c', [2]],
    ]);
    // a: unit sums [5, 16], slice mean 10.5; b: [10, 0], slice mean 5; the bias slice is not scored.
    // Per-slice normalised: a [5/10.5, 16/10.5], b [2, 0]; mean over the 2 slices; overall mean is 1.
    const r = reduceGroup(g, scores, dims);
    expect(r[0]).toBeCloseTo((5 / 10.5 + 2) / 2, 10);
    expect(r[1]).toBeCloseTo((16 / 10.5 + 0) / 2, 10);
    // A raw mean ([7.5, 8]) would rank unit 1 first: the small slice b counts as much as a.
    expect(r[0]).toBeGreaterThan(r[1] as number);
  });

  it('scores only weight slices: readers and biases are cut but not scored', () => {
    // An embedding-like group of 3 channels: a writer row per channel, a token, and a reader whose
    // weights are largest on the channel the writers make smallest (as behind a LayerNorm).
    const g: DependencyGroup = {
      id: 'embed',
      kind: 'embed',
      units: 3,
      reshapes: [],
      slices: [
        { initializer: 'fc2', node: 0, input: 1, axis: 1, role: 'weight', indices: [[0], [1], [2]] },
        { initializer: 'tok', node: 1, input: 1, axis: 0, role: 'weight', indices: [[0], [1], [2]] },
        { initializer: 'fc1', node: 2, input: 1, axis: 0, role: 'reader', indices: [[0], [1], [2]] },
        { initializer: 'ln', node: 3, input: 1, axis: 0, role: 'reader', indices: [[0], [1], [2]] },
      ],
    };
    const scores = new Map([
      ['fc2', Float32Array.from([1, 4, 2, 1, 4, 2])], // [2, 3] (in-out): column sums 2, 8, 4
      ['tok', Float32Array.from([0.03, 0.03, 0.03])],
      ['fc1', Float32Array.from([90, 90, 1, 1, 30, 30])], // [3, 2]: row sums 180, 2, 60
      ['ln', Float32Array.from([3, 0.1, 1])],
    ]);
    const dims = new Map([
      ['fc2', [2, 3]],
      ['tok', [3]],
      ['fc1', [3, 2]],
      ['ln', [3]],
    ]);
    const r = reduceGroup(g, scores, dims);
    // fc2 normalised [3/7, 12/7, 6/7], tok [1, 1, 1]; channel 0 would rank first if readers counted.
    expect(r[0]).toBeCloseTo(5 / 7, 10);
    expect(r[1]).toBeCloseTo(19 / 14, 10);
    expect(r[2]).toBeCloseTo(13 / 14, 10);
    // Reader-only groups cannot be scored.
    const readers = { ...g, slices: g.slices.filter((x) => x.role === 'reader') };
    expect(() => reduceGroup(readers, scores, dims)).toThrow(PqvError);
  });

  it('ignores a slice scored all zero', () => {
    const g: DependencyGroup = {
      id: 'g',
      kind: 'mlp',
      units: 2,
      reshapes: [],
      slices: [
        { initializer: 'a', node: 0, input: 1, axis: 0, role: 'weight', indices: [[0], [1]] },
        { initializer: 'z', node: 1, input: 1, axis: 0, role: 'weight', indices: [[0], [1]] },
      ],
    };
    const r = reduceGroup(
      g,
      new Map([
        ['a', Float32Array.from([1, 3])],
        ['z', new Float32Array(2)],
      ]),
      new Map([
        ['a', [2]],
        ['z', [2]],
      ]),
    );
    expect([...r]).toEqual([0.5, 1.5]);
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

describe('embedding-channel importance', () => {
  it('scores the writers of the residual stream and cuts its readers', async () => {
    for (const [name, placement] of [
      ['timm-vit-op17', 'pre'],
      ['mha-vit-op14', 'post'],
    ] as const) {
      const { model } = await loadFixture(name);
      const vit = discoverVit(model);
      expect(vit.normPlacement).toBe(placement);
      const g = embedGroup(vit);
      const role = (init: string, axis: number): string | undefined =>
        g.slices.find((x) => x.initializer === init && x.axis === axis)?.role;
      expect(role(vit.patch.weight.initializer, 0)).toBe('weight');
      expect(role(vit.posEmbed.initializer, vit.posEmbed.dims.length - 1)).toBe('weight');
      for (const b of vit.blocks) {
        const { qkv, q, proj } = b.attention;
        const reader = (qkv ?? q) as NonNullable<typeof qkv>;
        expect(role(reader.weight.initializer, reader.layout === 'in-out' ? 0 : 1)).toBe('reader');
        expect(role(proj.weight.initializer, proj.layout === 'in-out' ? 1 : 0)).toBe('weight');
        expect(role(b.mlp.fc1.weight.initializer, b.mlp.fc1.layout === 'in-out' ? 0 : 1)).toBe('reader');
        expect(role(b.mlp.fc2.weight.initializer, b.mlp.fc2.layout === 'in-out' ? 1 : 0)).toBe('weight');
        // Pre-norm: LayerNorm γ reads the stream; post-norm: its output is the stream.
        expect(role(b.norm1.gamma.initializer, 0)).toBe(placement === 'pre' ? 'reader' : 'weight');
      }
      for (const c of vit.classifiers) expect(role(c.weight.initializer, c.layout === 'in-out' ? 0 : 1)).toBe('reader');
    }
  });

  for (const method of ['l1', 'l2'] as const) {
    it(`${method} ranks a channel by the magnitude of its writers, not its readers`, async () => {
      const { model } = await loadFixture('timm-vit-op17');
      const vit = discoverVit(model);
      const g = embedGroup(vit);
      // Writers and readers of the residual stream, taken from the model map (not from the group).
      const along = (l: LinearRef, side: 'in' | 'out'): [string, number] => [
        l.weight.initializer,
        (l.layout === 'in-out') === (side === 'in') ? 0 : 1,
      ];
      const writers = new Map<string, number>([
        [vit.patch.weight.initializer, 0],
        [vit.posEmbed.initializer, 2],
      ]);
      const readers = new Map<string, number>([
        ...vit.finalNorms.map((n): [string, number] => [n.gamma.initializer, 0]),
        ...vit.classifiers.map((c) => along(c, 'in')),
      ]);
      for (const b of vit.blocks) {
        for (const w of [along(b.attention.proj, 'out'), along(b.mlp.fc2, 'out')]) writers.set(...w);
        for (const r of [
          along(b.attention.qkv as LinearRef, 'in'),
          along(b.mlp.fc1, 'in'),
          [b.norm1.gamma.initializer, 0] as [string, number],
        ])
          readers.set(...r);
      }
      // Channel 3 is written loudly and read softly, channel 5 the reverse (LayerNorm lets a model
      // compensate a channel's scale on the reading side). The writers are also made small overall:
      // a tensor's overall scale must not matter, only how its channels compare.
      for (const [init, axis] of writers) {
        for (let c = 0; c < g.units; c++)
          scaleChannel(model, init, axis, c, c === 3 ? 0.05 * 1.5 : c === 5 ? 0.05 / 1.5 : 0.05);
      }
      for (const [init, axis] of readers) {
        scaleChannel(model, init, axis, 3, 0.1);
        scaleChannel(model, init, axis, 5, 10);
      }
      const scores = await getElementScoreProvider(method).then((p) =>
        p({ model, modelPath: '', initializers: g.slices.map((s) => s.initializer) }),
      );
      const dims = new Map((model.graph?.initializer ?? []).map((t) => [t.name, dimsOf(t)]));
      const r = [...reduceGroup(g, scores, dims)];
      const median = [...r].sort((a, b) => a - b)[r.length >> 1] as number;
      expect(r[3]).toBeGreaterThan(1.2 * median);
      expect(r[5]).toBeLessThan(0.8 * median);
    });
  }
});

describe('registry', () => {
  it('serves the weight criteria and rejects unknown names', async () => {
    expect(await getElementScoreProvider('l1')).toBe(l1ElementScores);
    expect(await getElementScoreProvider('l2')).toBe(l2ElementScores);
    await expect(getElementScoreProvider('nope' as 'l1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('serves the gradient criteria', async () => {
    expect(await getElementScoreProvider('taylor')).toBe(taylorElementScores);
    expect(await getElementScoreProvider('hessian')).toBe(hessianElementScores);
  });
});
