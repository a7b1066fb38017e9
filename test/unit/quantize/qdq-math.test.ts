/**
 * QuantizeLinear/DequantizeLinear numerics: against the ONNX spec formulas and against ONNX Runtime
 * running one-node QuantizeLinear / DequantizeLinear models.
 */
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  TensorShapeProtoSchema,
  TensorShapeProto_DimensionSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { makeNode } from '../../../src/main/engine/onnx/graph.js';
import { ort } from '../../../src/main/engine/onnx/session.js';
import { makeFloat32Tensor, makeRawTensor } from '../../../src/main/engine/onnx/tensor.js';
import {
  computeQParams,
  dequantizeValue,
  encodeInts,
  onnxTypeOf,
  qRange,
  quantizeValue,
  quantizeWeight,
  roundHalfEven,
  sqnrDb,
} from '../../../src/main/engine/quantize/qdq-math.js';
import type { QuantType } from '../../../src/main/engine/quantize/types.js';
import { serializeModel } from '../../../src/main/engine/onnx/model-io.js';

function vi(name: string, elem: number, dims: number[]) {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, {
          elemType: elem,
          shape: create(TensorShapeProtoSchema, {
            dim: dims.map((d) =>
              create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(d) } }),
            ),
          }),
        }),
      },
    }),
  });
}

function oneNode(
  node: NodeProto,
  inits: TensorProto[],
  input: { name: string; elem: number; dims: number[] },
  output: { name: string; elem: number; dims: number[] },
): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: 8n,
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph: create(GraphProtoSchema, {
      name: 'g',
      node: [node],
      initializer: inits,
      input: [vi(input.name, input.elem, input.dims)],
      output: [vi(output.name, output.elem, output.dims)],
    }),
  });
}

/** The ONNX spec formula written out independently: saturate(round_half_even(x / scale) + zp). */
function specQuantize(x: number, scale: number, zp: number, qmin: number, qmax: number): number {
  const v = Math.fround(x / scale);
  const fl = Math.floor(v);
  const diff = v - fl;
  let r = diff > 0.5 ? fl + 1 : diff < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
  r += zp;
  return Math.min(qmax, Math.max(qmin, r));
}

const XS = [-300, -128.5, -3.5, -2.5, -1.5, -0.5, -0.49, 0, 0.5, 1.5, 2.5, 2.51, 3.5, 126.5, 127.5, 254.5, 255.5, 1000];

describe('rounding and saturation', () => {
  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([
      0, 2, 2, 4, -0, -2, -2, 2, 3,
    ]);
  });

  for (const type of ['uint8', 'int8', 'uint16', 'int16'] as QuantType[]) {
    it(`quantizeValue follows the spec formula for ${type}`, () => {
      const { qmin, qmax } = qRange(type);
      for (const p of [
        { scale: 1, zeroPoint: type.startsWith('u') ? 10 : -3 },
        { scale: 0.37, zeroPoint: type.startsWith('u') ? 128 : 0 },
      ]) {
        for (const x of XS) expect(quantizeValue(x, p, type)).toBe(specQuantize(x, p.scale, p.zeroPoint, qmin, qmax));
      }
    });
  }

  it('saturates at the type limits', () => {
    expect(quantizeValue(1e9, { scale: 1, zeroPoint: 0 }, 'uint8')).toBe(255);
    expect(quantizeValue(-1e9, { scale: 1, zeroPoint: 0 }, 'uint8')).toBe(0);
    expect(quantizeValue(1e9, { scale: 1, zeroPoint: 0 }, 'int8')).toBe(127);
    expect(quantizeValue(-1e9, { scale: 1, zeroPoint: 0 }, 'int8')).toBe(-128);
  });
});

describe('scale and zero point', () => {
  it('asymmetric uint8 maps [min, max] onto [0, 255] with 0 exact', () => {
    const p = computeQParams({ min: -1, max: 3 }, 'uint8', false);
    expect(p.scale).toBeCloseTo(4 / 255, 7);
    expect(p.zeroPoint).toBe(64);
    expect(dequantizeValue(quantizeValue(0, p, 'uint8'), p)).toBe(0);
    expect(quantizeValue(-1, p, 'uint8')).toBe(0);
    expect(quantizeValue(3, p, 'uint8')).toBe(255);
  });

  it('widens a range that excludes 0', () => {
    const p = computeQParams({ min: 2, max: 5 }, 'uint8', false);
    expect(p.zeroPoint).toBe(0);
    expect(p.scale).toBeCloseTo(5 / 255, 7);
  });

  it('symmetric int8 uses zero point 0 and max|x|/127; uint8 symmetric uses 128', () => {
    const s = computeQParams({ min: -0.5, max: 2.54 }, 'int8', true);
    expect(s.zeroPoint).toBe(0);
    expect(s.scale).toBeCloseTo(0.02, 7);
    expect(computeQParams({ min: -1, max: 1 }, 'uint8', true).zeroPoint).toBe(128);
  });

  it('per-channel weights get one scale per output channel', () => {
    const w = Float32Array.from([1, -2, 0.5, 4, 0.1, -0.1]); // dims [3, 2], axis 1 → channels (1, 0.5, 0.1) and (-2, 4, -0.1)
    const q = quantizeWeight(w, [3, 2], 'int8', true, 1);
    expect(q.params.map((p) => p.scale)).toEqual([Math.fround(1 / 127), Math.fround(4 / 127)]);
    expect(Array.from(q.values)).toEqual([127, -64, 64, 127, 13, -3]);
  });

  it('SQNR is infinite for identical signals and ~6 dB per halving of the noise', () => {
    expect(sqnrDb([1, 2, 3], [1, 2, 3])).toBe(Infinity);
    expect(sqnrDb([1, 1], [1.5, 1.5]) - sqnrDb([1, 1], [1.25, 1.25])).toBeCloseTo(-6.02, 1);
  });
});

describe('agreement with ONNX Runtime', () => {
  const xs = Float32Array.from(XS.map((x) => x * 0.37));
  for (const [type, zp] of [
    ['uint8', 37],
    ['int8', -5],
  ] as Array<[QuantType, number]>) {
    it(`QuantizeLinear (${type}) matches ORT element for element`, async () => {
      const scale = 0.37;
      const node = makeNode('QuantizeLinear', ['x', 's', 'z'], ['y']);
      const m = oneNode(
        node,
        [makeFloat32Tensor('s', [], [scale]), makeRawTensor('z', onnxTypeOf(type), [], encodeInts([zp], type))],
        { name: 'x', elem: 1, dims: [xs.length] },
        { name: 'y', elem: onnxTypeOf(type), dims: [xs.length] },
      );
      const session = await ort.InferenceSession.create(serializeModel(m));
      const out = await session.run({ x: new ort.Tensor('float32', xs, [xs.length]) });
      const got = Array.from(out.y?.data as ArrayLike<number>);
      const p = { scale: Math.fround(scale), zeroPoint: zp };
      expect(Array.from(xs, (x) => quantizeValue(x, p, type))).toEqual(got);
    });
  }

  it('per-axis DequantizeLinear of int8 weights matches ORT', async () => {
    const w = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i * 1.7) * ((i % 3) + 1));
    const q = quantizeWeight(w, [4, 3], 'int8', true, 1);
    const node = makeNode('DequantizeLinear', ['q', 's', 'z'], ['y'], { axis: 1 });
    const m = oneNode(
      node,
      [
        makeFloat32Tensor(
          's',
          [3],
          q.params.map((p) => p.scale),
        ),
        makeRawTensor('z', onnxTypeOf('int8'), [3], encodeInts([0, 0, 0], 'int8')),
      ],
      { name: 'q', elem: onnxTypeOf('int8'), dims: [4, 3] },
      { name: 'y', elem: 1, dims: [4, 3] },
    );
    const session = await ort.InferenceSession.create(serializeModel(m));
    const out = await session.run({ q: new ort.Tensor('int8', Int8Array.from(q.values), [4, 3]) });
    const got = Array.from(out.y?.data as Float32Array);
    const mine = Array.from(q.values, (v, i) =>
      dequantizeValue(v, q.params[i % 3] as { scale: number; zeroPoint: number }),
    );
    expect(mine).toEqual(got);
    // and the round trip stays within half a step of the original
    for (let i = 0; i < w.length; i++)
      expect(Math.abs((got[i] as number) - (w[i] as number))).toBeLessThanOrEqual(
        (q.params[i % 3]?.scale ?? 0) / 2 + 1e-7,
      );
  });
});
