/**
 * FP16 conversion: every fixture and the demo run in ONNX Runtime with logits close to float32, float32 I/O
 * kept, shape tensors untouched, decomposed LayerNorm kept in float32 (and why), clamping, Cast clean-up.
 */
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, ModelProtoSchema, OperatorSetIdProtoSchema, type ModelProto } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { resolvePreprocess } from '../../../src/main/engine/evaluate/preprocess.js';
import { GraphIndex, makeNode } from '../../../src/main/engine/onnx/graph.js';
import { loadModel } from '../../../src/main/engine/onnx/model-io.js';
import { DataType, makeFloat32Tensor, readFloat32 } from '../../../src/main/engine/onnx/tensor.js';
import { collectStats, datasetSource } from '../../../src/main/engine/quantize/calibration.js';
import { convertToFp16, removeRedundantCasts } from '../../../src/main/engine/quantize/fp16.js';
import { elemTypeOf, probeTensorTypes, untypedShapeValueInfo } from '../../../src/main/engine/quantize/model-utils.js';
import { sqnrDb } from '../../../src/main/engine/quantize/qdq-math.js';
import { modelOutputs } from '../../../src/main/engine/quantize/sensitivity.js';
import { DEMO_CALIB, DEMO_MODEL, FIXTURES, loadFixture, maxAbsDiff, run } from './helpers.js';

/** Stated tolerance: max |Δlogit| vs the PyTorch float32 logits (observed ≤ 1e-3 on these exports). */
const FP16_LOGIT_TOL = 3e-3;

function int64Constants(m: ModelProto): number {
  const g = m.graph;
  if (!g) return 0;
  const inits = g.initializer.filter((t) => t.dataType === DataType.INT64).length;
  const consts = g.node.filter(
    (n) => n.opType === 'Constant' && n.attribute.some((a) => a.t?.dataType === DataType.INT64),
  ).length;
  return inits + consts;
}

describe('fp16 on the ViT fixtures', () => {
  for (const name of FIXTURES) {
    it(`${name}: runs, logits within ${FP16_LOGIT_TOL} of float32, weights fp16, I/O float32`, async () => {
      const f = await loadFixture(name);
      const r = await convertToFp16(f.model);
      const out = await run(r.model, f.input, [1, 3, 224, 224]);
      expect(maxAbsDiff(out, f.logits)).toBeLessThan(FP16_LOGIT_TOL);
      const g = r.model.graph;
      expect(g).toBeDefined();
      if (!g) return;
      expect(g.initializer.filter((t) => t.dataType === DataType.FLOAT16).length).toBeGreaterThan(10);
      expect(g.input.every((i) => elemTypeOf(i) === DataType.FLOAT)).toBe(true);
      expect(g.output.every((o) => elemTypeOf(o) === DataType.FLOAT)).toBe(true);
      expect(int64Constants(r.model)).toBe(int64Constants(f.model));
      // Reshape targets and other shape inputs never become float16.
      const idx = new GraphIndex(g);
      for (const n of g.node.filter((x) => x.opType === 'Reshape')) {
        const t = n.input[1] ? idx.constantTensor(n.input[1]) : undefined;
        if (t) expect(t.dataType).toBe(DataType.INT64);
      }
      // opset < 17 exports: the 7-node statistics path of each of the 5 LayerNorms stays float32.
      const decomposed = name.endsWith('op13') || name.endsWith('op14');
      expect(r.fp32Nodes.length).toBe(decomposed ? 35 : 0);
    });
  }

  it('decomposed LayerNorm: (x - mean)² leaves the float16 range on outliers, so it is computed in float32', async () => {
    const f = await loadFixture('timm-vit-op13');
    const big = f.input.map((v) => v * 400); // drives the residual stream to ViT-outlier magnitudes
    const pows = f.model.graph?.node.filter((n) => n.opType === 'Pow').map((n) => n.output[0] as string) ?? [];
    const source = {
      id: 'outlier',
      count: 1,
      async *batches() {
        yield { data: big, dims: [1, 3, 224, 224] };
      },
    };
    const stats = await collectStats(f.model, pows, source, { kind: 'minmax' });
    const worst = Math.max(...[...stats.values()].map((s) => s.max));
    expect(worst).toBeGreaterThan(65504); // a float16 Pow would produce +Inf here
    const safe = await convertToFp16(f.model);
    const naive = await convertToFp16(f.model, { keepLayerNormFp32: false });
    const safeTypes = await probeTensorTypes(safe.model);
    const naiveTypes = await probeTensorTypes(naive.model);
    for (const p of pows) {
      expect(safeTypes.get(p)).toBe(DataType.FLOAT);
      expect(naiveTypes.get(p)).toBe(DataType.FLOAT16);
    }
    const ref = await run(f.model, big, [1, 3, 224, 224]);
    expect(sqnrDb(ref, await run(safe.model, big, [1, 3, 224, 224]))).toBeGreaterThan(40);
  });

  it('keepIoTypes=false makes graph inputs and outputs float16; a block list keeps ops in float32', async () => {
    const f = await loadFixture('timm-vit-op17');
    const io = await convertToFp16(f.model, { keepIoTypes: false });
    expect(io.model.graph?.input.map(elemTypeOf)).toEqual([DataType.FLOAT16]);
    expect(io.model.graph?.output.map(elemTypeOf)).toEqual([DataType.FLOAT16]);
    const blocked = await convertToFp16(f.model, { blockList: ['Softmax'] });
    expect(blocked.fp32Nodes.length).toBe(2);
    const g = blocked.model.graph;
    const idx = new GraphIndex(g ?? create(GraphProtoSchema));
    for (const s of g?.node.filter((n) => n.opType === 'Softmax') ?? []) {
      const p = s.input[0] ? idx.producer.get(s.input[0]) : undefined;
      expect(p?.opType).toBe('Cast');
    }
    expect(maxAbsDiff(await run(blocked.model, f.input, [1, 3, 224, 224]), f.logits)).toBeLessThan(FP16_LOGIT_TOL);
  });
});

function tinyModel(nodes: ReturnType<typeof makeNode>[], inits: ReturnType<typeof makeFloat32Tensor>[]): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, {
      name: 't',
      node: nodes,
      initializer: inits,
      input: [untypedShapeValueInfo('x', DataType.FLOAT)],
      output: [untypedShapeValueInfo('y', DataType.FLOAT)],
    }),
  });
}

describe('fp16 details', () => {
  it('clamps constants to ±65504', async () => {
    const m = tinyModel([makeNode('Add', ['x', 'c'], ['y'])], [makeFloat32Tensor('c', [2], [1e6, -1e6])]);
    m.graph?.input.splice(0, 1, untypedShapeValueInfo('x', DataType.FLOAT));
    const x = m.graph?.input[0];
    if (x?.type?.value.case === 'tensorType') x.type.value.value.shape = undefined;
    const r = await convertToFp16(m);
    expect(r.clampedConstants).toBe(1);
    const c = r.model.graph?.initializer.find((t) => t.name === 'c');
    expect(c && Array.from(readFloat32(c))).toEqual([65504, -65504]);
  });

  it('removes Cast pairs that return to the original float type', () => {
    const m = tinyModel(
      [
        makeNode('Cast', ['x'], ['h'], { to: DataType.FLOAT16 }),
        makeNode('Cast', ['h'], ['f'], { to: DataType.FLOAT }),
        makeNode('Relu', ['f'], ['y']),
      ],
      [],
    );
    expect(removeRedundantCasts(m, (n) => (n === 'x' ? DataType.FLOAT : undefined))).toBe(1);
    expect(m.graph?.node[2]?.input[0]).toBe('x');
    // not when the source is an integer tensor (the Casts convert it)
    const k = tinyModel(
      [
        makeNode('Cast', ['x'], ['h'], { to: DataType.FLOAT16 }),
        makeNode('Cast', ['h'], ['y'], { to: DataType.FLOAT }),
      ],
      [],
    );
    expect(removeRedundantCasts(k, () => DataType.INT64)).toBe(0);
  });

  it('demo model: fp16 logits match float32 (SQNR ≥ 40 dB) and predictions agree', async () => {
    const { model } = await loadModel(DEMO_MODEL);
    const src = await datasetSource(DEMO_CALIB, await resolvePreprocess(DEMO_MODEL, model), 20, 20);
    const batches = [];
    for await (const b of src.batches()) batches.push(b);
    const ref = await modelOutputs(model, batches);
    const half = await modelOutputs((await convertToFp16(model)).model, batches);
    expect(sqnrDb(ref, half)).toBeGreaterThan(40);
    for (let i = 0; i < 20; i++) {
      const a = ref.subarray(i * 10, i * 10 + 10);
      const b = half.subarray(i * 10, i * 10 + 10);
      expect(b.indexOf(Math.max(...b))).toBe(a.indexOf(Math.max(...a)));
    }
  });
});
