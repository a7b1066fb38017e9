/** ViT structure discovery on every fixture style, the demo model and a non-ViT CNN. */
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type ModelProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { PqvError } from '../../../src/common/errors.js';
import { loadModel } from '../../../src/main/engine/onnx/model-io.js';
import { makeNode } from '../../../src/main/engine/onnx/graph.js';
import { makeFloat32Tensor, makeInt64Tensor } from '../../../src/main/engine/onnx/tensor.js';
import { discoverVit } from '../../../src/main/engine/vit/discover.js';
import { countParams } from '../../../src/main/engine/prune/count.js';
import { DEMO, loadFixture, MANIFEST } from '../prune/helpers.js';

const STYLE_FORMS: Record<string, string[]> = {
  timm: ['split-bn3hd', 'merge-bnc'],
  hf: ['split-bnhd', 'split-bnhd', 'split-bnhd', 'merge-bnc'],
  mha: ['split-nbh-d', 'split-nbh-d', 'split-nbh-d', 'merge-nb-c'],
};

describe('discoverVit', () => {
  for (const m of MANIFEST) {
    it(`maps ${m.name}`, async () => {
      const { model } = await loadFixture(m.name);
      const v = discoverVit(model);
      expect(v.style).toBe(m.style);
      expect([v.dim, v.depth, v.heads, v.headDim, v.mlp]).toEqual([m.dim, m.depth, m.heads, m.dim / m.heads, m.mlp]);
      expect(v.normPlacement).toBe(m.style === 'mha' ? 'post' : 'pre');
      expect(v.tokens).toBe(196 + (m.distilled ? 2 : 1));
      expect(Boolean(v.distToken)).toBe(Boolean(m.distilled));
      expect(v.classifiers.map((c) => c.outFeatures)).toEqual(m.distilled ? [m.classes, m.classes] : [m.classes]);
      expect(v.input).toBe('pixel_values');
      expect(v.outputs).toEqual(['logits']);
      for (const b of v.blocks) {
        expect(b.attention.kind).toBe(m.style === 'hf' ? 'separate' : 'fused');
        expect(b.attention.reshapes.map((r) => r.form)).toEqual(STYLE_FORMS[m.style]);
        expect(b.mlp.activation).toBe(m.style === 'mha' ? 'relu' : 'gelu-erf');
        expect(b.norm1.kind).toBe(m.opset >= 17 ? 'LayerNormalization' : 'decomposed');
      }
      // Every parameter of the manifest is reached by the map (shared tensors counted per use).
      expect(countParams(v)).toBe(m.params);
    });
  }

  it('maps the demo model', async () => {
    const { model } = await loadModel(DEMO);
    const v = discoverVit(model);
    expect([v.dim, v.depth, v.heads, v.headDim, v.mlp, v.tokens]).toEqual([192, 6, 3, 64, 768, 50]);
    expect(v.patch.kernel).toEqual([4, 4]);
    expect(v.patch.inChannels).toBe(1);
  });

  it('rejects a CNN with VIT_NOT_FOUND', () => {
    const w = makeFloat32Tensor('w', [8, 3, 3, 3], new Float32Array(216).fill(0.1));
    const fcW = makeFloat32Tensor('fcw', [8, 10], new Float32Array(80).fill(0.1));
    const graph = create(GraphProtoSchema, {
      name: 'cnn',
      node: [
        makeNode('Conv', ['x', 'w'], ['c'], { kernel_shape: [3, 3] }, 'conv'),
        makeNode('Relu', ['c'], ['r'], {}, 'relu'),
        makeNode('GlobalAveragePool', ['r'], ['p'], {}, 'pool'),
        makeNode('Flatten', ['p'], ['f'], {}, 'flat'),
        makeNode('MatMul', ['f', 'fcw'], ['y'], {}, 'fc'),
      ],
      initializer: [w, fcW],
      input: [create(ValueInfoProtoSchema, { name: 'x', type: create(TypeProtoSchema, {}) })],
      output: [create(ValueInfoProtoSchema, { name: 'y', type: create(TypeProtoSchema, {}) })],
    });
    const model: ModelProto = create(ModelProtoSchema, {
      irVersion: 8n,
      graph,
      opsetImport: [create(OperatorSetIdProtoSchema, { version: 17n })],
    });
    let err: unknown;
    try {
      discoverVit(model);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PqvError);
    expect((err as PqvError).code).toBe('VIT_NOT_FOUND');
    expect((err as PqvError).message).toMatch(/position-embedding/);
  });

  it('names the node of an unsupported attention pattern', async () => {
    const { model } = await loadFixture('timm-vit-op17');
    const v = discoverVit(model);
    const r = v.blocks[0]?.attention.reshapes[0];
    if (!r) throw new Error('no reshape');
    const graph = model.graph as NonNullable<ModelProto['graph']>;
    const node = graph.node[r.node] as (typeof graph.node)[number];
    const broken = {
      ...model,
      graph: {
        ...graph,
        node: graph.node.map((n) => (n === node ? { ...n, input: [n.input[0] as string, 'odd_shape'] } : n)),
        initializer: [...graph.initializer, makeInt64Tensor('odd_shape', [6], [0, 0, 3, 4, 4, 4])],
      },
    } as ModelProto;
    let err: unknown;
    try {
      discoverVit(broken);
    } catch (e) {
      err = e;
    }
    expect((err as PqvError).code).toBe('VIT_PATTERN_UNSUPPORTED');
    expect((err as PqvError).details).toEqual({ node: r.name });
  });
});
