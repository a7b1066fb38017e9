/**
 * Generate a DeiT-Small-size ViT (dim 384, depth 12, 6 heads, MLP 1536, 224x224x3, patch 16, 1000
 * classes) with seeded random weights as an opset-17 ONNX file in the timm export layout (fused qkv,
 * Reshape [B,N,3,H,Dh] built from Shape→Gather→Unsqueeze→Concat, Split/Squeeze unbind, GELU via Erf,
 * LayerNormalization, cls token, Gather + Gemm head), for pruning benchmarks.
 *
 *   npx tsx bench/gen-vit.ts [OUT.onnx]      (default bench/models/deit-small-random-op17.onnx)
 */
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type NodeProto,
  type TensorProto,
} from 'onnx-buf';
import { resolve } from 'node:path';
import { makeNode } from '../src/main/engine/onnx/graph.js';
import { saveModel } from '../src/main/engine/onnx/model-io.js';
import { makeFloat32Tensor, makeInt64Tensor } from '../src/main/engine/onnx/tensor.js';
import { seededRandom as mulberry32 } from '../src/main/engine/util/random.js';

export interface GenVitOptions {
  dim: number;
  depth: number;
  heads: number;
  mlp: number;
  img: number;
  patch: number;
  classes: number;
  seed: number;
}

export const DEIT_SMALL: GenVitOptions = {
  dim: 384,
  depth: 12,
  heads: 6,
  mlp: 1536,
  img: 224,
  patch: 16,
  classes: 1000,
  seed: 1,
};

function valueInfo(name: string, dims: Array<number | string>) {
  const dim = dims.map((d) =>
    create(
      TensorShapeProto_DimensionSchema,
      typeof d === 'number'
        ? { value: { case: 'dimValue', value: BigInt(d) } }
        : { value: { case: 'dimParam', value: d } },
    ),
  );
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: TensorProto_DataType.FLOAT,
          shape: create(TensorShapeProtoSchema, { dim }),
        }),
      },
    }),
  });
}

export function buildVit(o: GenVitOptions) {
  const rand = mulberry32(o.seed);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let k = 0;
  const C = o.dim;
  const hd = C / o.heads;
  const grid = o.img / o.patch;
  const T = grid * grid + 1;
  const weight = (name: string, dims: number[], std: number): string => {
    const n = dims.reduce((a, d) => a * d, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * std * 1.732;
    inits.push(makeFloat32Tensor(name, dims, data));
    return name;
  };
  const fill = (name: string, dims: number[], v: number): string => {
    inits.push(makeFloat32Tensor(name, dims, new Float32Array(dims.reduce((a, d) => a * d, 1)).fill(v)));
    return name;
  };
  const node = (op: string, inputs: string[], attrs: Parameters<typeof makeNode>[3] = {}, scope = ''): string => {
    const out = `${scope}/${op}_${k++}_output_0`;
    nodes.push(makeNode(op, inputs, [out], attrs, `${scope}/${op}_${k}`));
    return out;
  };
  const konst = (values: number[], scope = '', float = false): string => {
    const t = float
      ? makeFloat32Tensor('', values.length === 1 ? [] : [values.length], values)
      : makeInt64Tensor('', values.length === 1 ? [] : [values.length], values);
    return node('Constant', [], { value: t }, scope);
  };
  const vec = (values: number[], scope = ''): string =>
    node('Constant', [], { value: makeInt64Tensor('', [values.length], values) }, scope);
  const linear = (x: string, inF: number, outF: number, name: string, scope: string): string => {
    const w = weight(`${name}.weight_t`, [inF, outF], 0.02);
    const b = fill(`${name}.bias`, [outF], 0);
    return node('Add', [b, node('MatMul', [x, w], {}, scope)], {}, scope);
  };
  const dimOf = (x: string, i: number, scope: string): string =>
    node('Gather', [node('Shape', [x], {}, scope), konst([i], scope)], { axis: 0 }, scope);
  const unsq = (x: string, scope: string): string => node('Unsqueeze', [x, vec([0], scope)], {}, scope);

  // Patch embedding and tokens.
  const conv = node(
    'Conv',
    ['pixel_values', weight('patch_embed.weight', [C, 3, o.patch, o.patch], 0.02), fill('patch_embed.bias', [C], 0)],
    { kernel_shape: [o.patch, o.patch], strides: [o.patch, o.patch], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 },
    '/patch_embed',
  );
  const bc = node('Slice', [node('Shape', [conv]), vec([0]), vec([2]), vec([0])]);
  const flat = node('Reshape', [conv, node('Concat', [bc, vec([-1])], { axis: 0 })], { allowzero: 0 });
  const tokens = node('Transpose', [flat], { perm: [0, 2, 1] });
  const batch = unsq(dimOf(tokens, 0, ''), '');
  const cls = node('Expand', [
    weight('cls_token', [1, 1, C], 0.02),
    node('Concat', [batch, vec([1]), vec([1])], { axis: 0 }),
  ]);
  let x = node('Add', [node('Concat', [cls, tokens], { axis: 1 }), weight('pos_embed', [1, T, C], 0.02)]);

  for (let b = 0; b < o.depth; b++) {
    const s = `/blocks.${b}`;
    const ln = (v: string, name: string): string =>
      node(
        'LayerNormalization',
        [v, fill(`blocks.${b}.${name}.weight`, [C], 1), fill(`blocks.${b}.${name}.bias`, [C], 0)],
        { axis: -1, epsilon: { f: 1e-6 } },
        `${s}/${name}`,
      );
    const h = ln(x, 'norm1');
    const a = `${s}/attn`;
    const B = dimOf(h, 0, a);
    const N = dimOf(h, 1, a);
    const Cd = dimOf(h, 2, a);
    const qkv = linear(h, C, 3 * C, `blocks.${b}.attn.qkv`, `${a}/qkv`);
    const shape5 = node(
      'Concat',
      [unsq(B, a), unsq(N, a), vec([3], a), vec([o.heads], a), vec([hd], a)],
      { axis: 0 },
      a,
    );
    const perm = node('Transpose', [node('Reshape', [qkv, shape5], { allowzero: 0 }, a)], { perm: [2, 0, 3, 1, 4] }, a);
    const split = `${a}/Split_${k++}`;
    nodes.push(
      makeNode('Split', [perm, vec([1, 1, 1], a)], [`${split}_0`, `${split}_1`, `${split}_2`], { axis: 0 }, split),
    );
    const [q, kk, v] = [0, 1, 2].map((i) => node('Squeeze', [`${split}_${i}`, vec([0], a)], {}, a)) as [
      string,
      string,
      string,
    ];
    const scores = node(
      'MatMul',
      [node('Mul', [q, konst([hd ** -0.5], a, true)], {}, a), node('Transpose', [kk], { perm: [0, 1, 3, 2] }, a)],
      {},
      a,
    );
    const ctx = node(
      'Transpose',
      [node('MatMul', [node('Softmax', [scores], { axis: -1 }, a), v], {}, a)],
      { perm: [0, 2, 1, 3] },
      a,
    );
    const merged = node(
      'Reshape',
      [ctx, node('Concat', [unsq(B, a), unsq(N, a), unsq(Cd, a)], { axis: 0 }, a)],
      { allowzero: 0 },
      a,
    );
    x = node('Add', [x, linear(merged, C, C, `blocks.${b}.attn.proj`, `${a}/proj`)], {}, s);
    const h2 = ln(x, 'norm2');
    const f1 = linear(h2, C, o.mlp, `blocks.${b}.mlp.fc1`, `${s}/mlp/fc1`);
    const gelu = node(
      'Mul',
      [
        node(
          'Mul',
          [
            f1,
            node(
              'Add',
              [node('Erf', [node('Div', [f1, konst([Math.SQRT2], s, true)], {}, s)], {}, s), konst([1], s, true)],
              {},
              s,
            ),
          ],
          {},
          s,
        ),
        konst([0.5], s, true),
      ],
      {},
      s,
    );
    x = node('Add', [x, linear(gelu, o.mlp, C, `blocks.${b}.mlp.fc2`, `${s}/mlp/fc2`)], {}, s);
  }
  const normed = node(
    'LayerNormalization',
    [x, fill('norm.weight', [C], 1), fill('norm.bias', [C], 0)],
    { axis: -1, epsilon: { f: 1e-6 } },
    '/norm',
  );
  const pooled = node('Gather', [normed, konst([0])], { axis: 1 });
  nodes.push(
    makeNode(
      'Gemm',
      [pooled, weight('head.weight', [o.classes, C], 0.02), fill('head.bias', [o.classes], 0)],
      ['logits'],
      { alpha: { f: 1 }, beta: { f: 1 }, transB: 1 },
      '/head/Gemm',
    ),
  );

  const graph = create(GraphProtoSchema, {
    name: 'vit',
    node: nodes,
    initializer: inits,
    input: [valueInfo('pixel_values', ['batch', 3, o.img, o.img])],
    output: [valueInfo('logits', ['batch', o.classes])],
  });
  return create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'pqv-bench-gen-vit',
    graph,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
  });
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntry) {
  const out = resolve(process.argv[2] ?? 'bench/models/deit-small-random-op17.onnx');
  const t = Date.now();
  const bytes = await saveModel(buildVit(DEIT_SMALL), out);
  process.stdout.write(`wrote ${out} (${(bytes / 1e6).toFixed(1)} MB) in ${Date.now() - t} ms\n`);
}
