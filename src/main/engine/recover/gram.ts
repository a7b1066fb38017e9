/**
 * Sufficient statistics of a least-squares problem Y ≈ X·W + b, accumulated over batches by a tiny
 * ONNX graph (ONNX Runtime does the O(rows·in²) work; per-batch products in float32 or float64, summed
 * over batches in float64): XᵀX, XᵀY, Σx, Σy, Σy² and the row count.
 * Y columns can be selected (`Gather` on the last axis) so a pruned layer is compared with the
 * matching channels of the original layer.
 */
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  OperatorSetIdProtoSchema,
  type ModelProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { valueInfo } from '../autodiff/loss.js';
import { untypedShapeValueInfo } from '../onnx/graph.js';
import { makeNode } from '../onnx/graph.js';
import { createSession, ort } from '../onnx/session.js';
import { makeInt64Tensor } from '../onnx/tensor.js';

/** Accumulated statistics (float64, row-major). */
export interface GramStats {
  inDim: number;
  outDim: number;
  rows: number;
  /** XᵀX, inDim × inDim. */
  xx: Float64Array;
  /** XᵀY, inDim × outDim. */
  xy: Float64Array;
  sx: Float64Array;
  sy: Float64Array;
  /** Σ y² over all entries. */
  yy: number;
}

/** A float32 input of any rank (activations are [B, T, C] or [B, C]). */
const anyShape = (name: string): ValueInfoProto => untypedShapeValueInfo(name, 1);

function gramModel(inDim: number, outDim: number, elemType: number): ModelProto {
  const nodes = [
    makeNode('Reshape', ['X', 'shape_x'], ['x2'], {}, 'reshape_x'),
    makeNode('Cast', ['x2'], ['xd'], { to: elemType }, 'cast_x'),
    makeNode('Gather', ['Y', 'idx'], ['yg'], { axis: -1 }, 'select_y'),
    makeNode('Reshape', ['yg', 'shape_y'], ['y2'], {}, 'reshape_y'),
    makeNode('Cast', ['y2'], ['yd'], { to: elemType }, 'cast_y'),
    makeNode('Transpose', ['xd'], ['xt'], { perm: [1, 0] }, 'transpose_x'),
    makeNode('MatMul', ['xt', 'xd'], ['XX'], {}, 'xx'),
    makeNode('MatMul', ['xt', 'yd'], ['XY'], {}, 'xy'),
    makeNode('ReduceSum', ['xd', 'axis0'], ['SX'], { keepdims: 0 }, 'sx'),
    makeNode('ReduceSum', ['yd', 'axis0'], ['SY'], { keepdims: 0 }, 'sy'),
    makeNode('Mul', ['yd', 'yd'], ['ysq'], {}, 'ysq'),
    makeNode('ReduceSum', ['ysq'], ['YY'], { keepdims: 0 }, 'yy'),
  ];
  const graph = create(GraphProtoSchema, {
    name: 'gram',
    node: nodes,
    initializer: [
      makeInt64Tensor('shape_x', [2], [-1, inDim]),
      makeInt64Tensor('shape_y', [2], [-1, outDim]),
      makeInt64Tensor('axis0', [1], [0]),
    ],
    input: [anyShape('X'), anyShape('Y'), valueInfo('idx', 7, [outDim])],
    output: [
      valueInfo('XX', elemType, [inDim, inDim]),
      valueInfo('XY', elemType, [inDim, outDim]),
      valueInfo('SX', elemType, [inDim]),
      valueInfo('SY', elemType, [outDim]),
      valueInfo('YY', elemType, []),
    ],
  });
  return create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'pqv-recover',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: 17n })],
    graph,
  });
}

/** Arithmetic of the per-batch products. */
export type GramPrecision = 'float32' | 'float64';

function addInto(acc: Float64Array, v: Float32Array | Float64Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (v[i] as number);
}

/** Accumulates `GramStats` of (X, Y[..., columns]) over batches. */
export class GramAccumulator {
  readonly stats: GramStats;
  private readonly idx: ort.Tensor;

  private constructor(
    private readonly session: ort.InferenceSession,
    inDim: number,
    columns: readonly number[],
  ) {
    const outDim = columns.length;
    this.stats = {
      inDim,
      outDim,
      rows: 0,
      xx: new Float64Array(inDim * inDim),
      xy: new Float64Array(inDim * outDim),
      sx: new Float64Array(inDim),
      sy: new Float64Array(outDim),
      yy: 0,
    };
    this.idx = new ort.Tensor(
      'int64',
      BigInt64Array.from(columns, (c) => BigInt(c)),
      [outDim],
    );
  }

  /**
   * @param inDim features of X (last axis)
   * @param columns which Y columns (in order) form the target
   * @param precision per-batch products in float32 (fast; batches are summed in float64) or float64
   */
  static async create(
    inDim: number,
    columns: readonly number[],
    precision: GramPrecision = 'float32',
    threads?: number,
  ): Promise<GramAccumulator> {
    const session = await createSession(gramModel(inDim, columns.length, precision === 'float64' ? 11 : 1), {
      threads,
    });
    return new GramAccumulator(session, inDim, columns);
  }

  /** Add one batch: `x` [..., inDim] and `y` [..., ySource] with the same leading rows. */
  async add(x: Float32Array, xDims: readonly number[], y: Float32Array, yDims: readonly number[]): Promise<void> {
    const s = this.stats;
    const rows = x.length / s.inDim;
    const yRows = y.length / (yDims[yDims.length - 1] ?? 1);
    if (!Number.isInteger(rows) || rows !== yRows) {
      throw new PqvError(
        'INFERENCE_FAILED',
        `Layer input [${xDims.join(',')}] and target [${yDims.join(',')}] do not have the same rows.`,
      );
    }
    const out = await this.session.run({
      X: new ort.Tensor('float32', x, [...xDims]),
      Y: new ort.Tensor('float32', y, [...yDims]),
      idx: this.idx,
    });
    addInto(s.xx, (out.XX as ort.Tensor).data as Float32Array | Float64Array);
    addInto(s.xy, (out.XY as ort.Tensor).data as Float32Array | Float64Array);
    addInto(s.sx, (out.SX as ort.Tensor).data as Float32Array | Float64Array);
    addInto(s.sy, (out.SY as ort.Tensor).data as Float32Array | Float64Array);
    s.yy += Number(((out.YY as ort.Tensor).data as Float32Array | Float64Array)[0]);
    s.rows += rows;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
