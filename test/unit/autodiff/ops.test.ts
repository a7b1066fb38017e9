/**
 * Every gradient rule against central finite differences on a tiny model around the op.
 * float64 where ONNX Runtime's CPU kernels support it (h = 1e-5; error ≤ 1e-7 + 1e-5·|numeric|);
 * Erf and Conv have only float32 kernels (h = 1e-2; error ≤ 2e-3 + 2e-2·|numeric|: the loss is a sum
 * of ~50 terms, so float32 rounding (~1e-6) divided by 2h dominates).
 */
import { describe, expect, it } from 'vitest';
import { makeInt64Tensor, DataType } from '../../../src/main/engine/onnx/tensor.js';
import { GradientSession } from '../../../src/main/engine/autodiff/gradient-session.js';
import { checkOpModel, floatTensor, makeNode, opModel, type ParamSpec } from './helpers.js';

const F64 = { h: 1e-5, atol: 1e-7, rtol: 1e-5 };
const F32 = { h: 1e-2, atol: 2e-3, rtol: 2e-2 };

async function expectOp(spec: Parameters<typeof opModel>[0], tol = F64): Promise<void> {
  const report = await checkOpModel(opModel(spec), tol);
  expect(report.checked).toBeGreaterThan(0);
  expect(report.worst, report.detail).toBeLessThanOrEqual(1);
}

const p = (dims: number[], range?: [number, number]): ParamSpec => (range ? { dims, range } : { dims });

describe('gradient rules vs finite differences', () => {
  it('Add / Sub / Mul / Div with broadcasting', async () => {
    await expectOp({
      nodes: [makeNode('Add', ['a', 'b'], ['z'])],
      params: { a: p([2, 3, 4]), b: p([4]) },
      outDims: [2, 3, 4],
    });
    await expectOp({
      nodes: [makeNode('Sub', ['a', 'b'], ['z'])],
      params: { a: p([2, 1, 4]), b: p([3, 1]) },
      outDims: [2, 3, 4],
    });
    await expectOp({
      nodes: [makeNode('Mul', ['a', 'b'], ['z'])],
      params: { a: p([2, 3, 4]), b: p([1, 3, 1]) },
      outDims: [2, 3, 4],
    });
    await expectOp({
      nodes: [makeNode('Div', ['a', 'b'], ['z'])],
      params: { a: p([2, 3, 4]), b: p([4], [0.5, 2]) },
      outDims: [2, 3, 4],
    });
  });

  it('Pow (constant exponent), Sqrt, Relu, Neg/Exp/Tanh/Sigmoid/Log, Identity, Cast, Where', async () => {
    const two = floatTensor('c_two', [], [2], DataType.DOUBLE);
    const three = floatTensor('c_three', [], [3], DataType.DOUBLE);
    await expectOp({
      nodes: [makeNode('Pow', ['a', 'c_two'], ['z'])],
      params: { a: p([3, 4]) },
      consts: [two],
      outDims: [3, 4],
    });
    await expectOp({
      nodes: [makeNode('Pow', ['a', 'c_three'], ['z'])],
      params: { a: p([3, 4], [0.2, 1.5]) },
      consts: [three],
      outDims: [3, 4],
    });
    await expectOp({ nodes: [makeNode('Sqrt', ['a'], ['z'])], params: { a: p([3, 4], [0.3, 2]) }, outDims: [3, 4] });
    await expectOp({ nodes: [makeNode('Relu', ['a'], ['z'])], params: { a: p([3, 5]) }, outDims: [3, 5] });
    await expectOp({
      nodes: [
        makeNode('Neg', ['a'], ['n']),
        makeNode('Exp', ['n'], ['e']),
        makeNode('Tanh', ['e'], ['t']),
        makeNode('Sigmoid', ['t'], ['s']),
        makeNode('Log', ['s'], ['l']),
        makeNode('Identity', ['l'], ['z']),
      ],
      params: { a: p([2, 3]) },
      outDims: [2, 3],
    });
    await expectOp({
      nodes: [makeNode('Cast', ['a'], ['z'], { to: DataType.DOUBLE })],
      params: { a: p([2, 3]) },
      outDims: [2, 3],
    });
    const cond = makeInt64Tensor('c_i', [3], [1, 0, 1]);
    await expectOp({
      nodes: [makeNode('Cast', ['c_i'], ['cond'], { to: DataType.BOOL }), makeNode('Where', ['cond', 'a', 'b'], ['z'])],
      params: { a: p([2, 3]), b: p([1]) },
      consts: [cond],
      outDims: [2, 3],
    });
  });

  it('Erf (float32 kernel only)', async () => {
    await expectOp(
      { nodes: [makeNode('Erf', ['a'], ['z'])], params: { a: p([3, 4]) }, outDims: [3, 4], elemType: DataType.FLOAT },
      F32,
    );
  });

  it('MatMul (weight, batched, broadcast) and Gemm (transposes, alpha, beta)', async () => {
    await expectOp({
      nodes: [makeNode('MatMul', ['a', 'b'], ['z'])],
      params: { a: p([2, 3, 4]), b: p([4, 5]) },
      outDims: [2, 3, 5],
    });
    await expectOp({
      nodes: [makeNode('MatMul', ['a', 'b'], ['z'])],
      params: { a: p([2, 2, 3, 4]), b: p([2, 2, 4, 3]) },
      outDims: [2, 2, 3, 3],
    });
    await expectOp({
      nodes: [makeNode('MatMul', ['a', 'b'], ['z'])],
      params: { a: p([3, 4]), b: p([2, 4, 2]) },
      outDims: [2, 3, 2],
    });
    await expectOp({
      nodes: [makeNode('Gemm', ['a', 'b', 'c'], ['z'], { transB: 1 })],
      params: { a: p([3, 4]), b: p([5, 4]), c: p([5]) },
      outDims: [3, 5],
    });
    await expectOp({
      nodes: [makeNode('Gemm', ['a', 'b', 'c'], ['z'], { transA: 1, alpha: { f: 0.5 }, beta: { f: 2 } })],
      params: { a: p([4, 3]), b: p([4, 5]), c: p([3, 1]) },
      outDims: [3, 5],
    });
  });

  it('Softmax, LayerNormalization (float64 recomputed and float32 stashed statistics), ReduceMean, ReduceSum', async () => {
    await expectOp({
      nodes: [makeNode('Softmax', ['a'], ['z'], { axis: -1 })],
      params: { a: p([2, 3, 5]) },
      outDims: [2, 3, 5],
    });
    await expectOp({
      nodes: [makeNode('Softmax', ['a'], ['z'], { axis: 1 })],
      params: { a: p([2, 3, 5]) },
      outDims: [2, 3, 5],
    });
    await expectOp({
      nodes: [makeNode('LayerNormalization', ['a', 'g', 'b'], ['z'], { axis: -1, epsilon: { f: 1e-5 } })],
      params: { a: p([2, 3, 6]), g: p([6]), b: p([6]) },
      outDims: [2, 3, 6],
    });
    await expectOp(
      {
        nodes: [makeNode('LayerNormalization', ['a', 'g', 'b'], ['z'], { axis: -1, epsilon: { f: 1e-5 } })],
        params: { a: p([2, 3, 6]), g: p([6]), b: p([6]) },
        outDims: [2, 3, 6],
        elemType: DataType.FLOAT,
      },
      F32,
    );
    await expectOp({
      nodes: [makeNode('ReduceMean', ['a'], ['m'], { axes: [-1], keepdims: 1 }), makeNode('Mul', ['m', 'a'], ['z'])],
      params: { a: p([2, 3, 4]) },
      outDims: [2, 3, 4],
      opset: 13,
    });
    await expectOp({
      nodes: [makeNode('ReduceMean', ['a'], ['z'], { axes: [1], keepdims: 0 })],
      params: { a: p([2, 3, 4]) },
      outDims: [2, 4],
      opset: 13,
    });
    await expectOp({
      nodes: [makeNode('ReduceSum', ['a', 'c_ax'], ['z'], { keepdims: 0 })],
      params: { a: p([2, 3, 4]) },
      consts: [makeInt64Tensor('c_ax', [1], [0])],
      outDims: [3, 4],
    });
  });

  it('Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Expand', async () => {
    await expectOp({
      nodes: [makeNode('Reshape', ['a', 'c_s'], ['z'])],
      params: { a: p([2, 6]) },
      consts: [makeInt64Tensor('c_s', [3], [3, 2, 2])],
      outDims: [3, 2, 2],
    });
    await expectOp({
      nodes: [makeNode('Flatten', ['a'], ['z'], { axis: 1 })],
      params: { a: p([2, 3, 2]) },
      outDims: [2, 6],
    });
    await expectOp({
      nodes: [makeNode('Transpose', ['a'], ['z'], { perm: [2, 0, 1] })],
      params: { a: p([2, 3, 4]) },
      outDims: [4, 2, 3],
    });
    await expectOp({
      nodes: [makeNode('Squeeze', ['a', 'c_ax'], ['s']), makeNode('Unsqueeze', ['s', 'c_ax2'], ['z'])],
      params: { a: p([2, 1, 3]) },
      consts: [makeInt64Tensor('c_ax', [1], [1]), makeInt64Tensor('c_ax2', [1], [0])],
      outDims: [1, 2, 3],
    });
    await expectOp({
      nodes: [makeNode('Expand', ['a', 'c_s'], ['z'])],
      params: { a: p([1, 1, 3]) },
      consts: [makeInt64Tensor('c_s', [3], [2, 4, 3])],
      outDims: [2, 4, 3],
    });
  });

  it('Split (split input, one output unused), Concat, Gather (scalar index), Slice', async () => {
    await expectOp({
      nodes: [makeNode('Split', ['a', 'c_sp'], ['s0', 's1', 's2'], { axis: 1 }), makeNode('Mul', ['s0', 's2'], ['z'])],
      params: { a: p([2, 6]) },
      consts: [makeInt64Tensor('c_sp', [3], [2, 2, 2])],
      outDims: [2, 2],
    });
    await expectOp({
      nodes: [makeNode('Concat', ['a', 'b'], ['z'], { axis: 1 })],
      params: { a: p([2, 1, 3]), b: p([2, 4, 3]) },
      outDims: [2, 5, 3],
    });
    await expectOp({
      nodes: [makeNode('Gather', ['a', 'c_i'], ['z'], { axis: 1 })],
      params: { a: p([2, 4, 3]) },
      consts: [makeInt64Tensor('c_i', [], [-3])],
      outDims: [2, 3],
    });
    await expectOp({
      nodes: [makeNode('Slice', ['a', 'c_st', 'c_en', 'c_ax'], ['z'])],
      params: { a: p([2, 5, 3]) },
      consts: [
        makeInt64Tensor('c_st', [2], [1, -2]),
        makeInt64Tensor('c_en', [2], [4, 100]),
        makeInt64Tensor('c_ax', [2], [1, 2]),
      ],
      outDims: [2, 3, 2],
    });
  });

  it('Conv patch embedding: weights, bias and input (float32 kernel only), with a remainder row', async () => {
    await expectOp(
      {
        nodes: [
          makeNode('Conv', ['a', 'w', 'b'], ['z'], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }),
        ],
        params: { a: p([2, 2, 5, 4]), w: p([3, 2, 2, 2]), b: p([3]) },
        outDims: [2, 3, 2, 2],
        elemType: DataType.FLOAT,
      },
      F32,
    );
  });

  it('cross-entropy and distillation (KL) losses', async () => {
    const spec = {
      nodes: [makeNode('Gemm', ['a', 'w', 'b'], ['z'], { transB: 1 })],
      params: { a: p([3, 4]), w: p([5, 4]), b: p([5]) },
      outDims: [3, 5],
    };
    const model = opModel(spec);
    const labels = [4, 0, 2];
    const ce = await GradientSession.create(model, { wrt: ['w', 'b'], loss: { kind: 'cross-entropy' } });
    const x = new Float64Array(15);
    const r = await ce.run(x, [3, 5], { labels });
    // reference cross-entropy computed here from the returned logits
    let ref = 0;
    for (let i = 0; i < 3; i++) {
      const row = Array.from(r.logits.subarray(i * 5, i * 5 + 5));
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      ref += lse - (row[labels[i] as number] as number);
    }
    expect(r.loss).toBeCloseTo(ref / 3, 10);
    const { finiteDifferenceCheck } = await import('./helpers.js');
    const rep = await finiteDifferenceCheck(ce, x, [3, 5], { labels }, F64);
    expect(rep.worst, rep.detail).toBeLessThanOrEqual(1);
    await ce.release();

    const kl = await GradientSession.create(model, { wrt: ['w', 'b'], loss: { kind: 'kl', temperature: 2 } });
    const teacher = Float64Array.from({ length: 15 }, (_, i) => Math.sin(i));
    const rep2 = await finiteDifferenceCheck(kl, x, [3, 5], { teacherLogits: teacher }, F64);
    expect(rep2.worst, rep2.detail).toBeLessThanOrEqual(1);
    const self = await kl.run(x, [3, 5], { teacherLogits: Float64Array.from(r.logits) });
    expect(Math.abs(self.loss)).toBeLessThan(1e-12);
    expect(Math.max(...Array.from(self.grads.get('w') as Float64Array, Math.abs))).toBeLessThan(1e-12);
    await kl.release();
  });

  it('an op without a gradient rule on the path fails with AUTODIFF_UNSUPPORTED_OP naming op and node', async () => {
    const model = opModel({
      nodes: [makeNode('Max', ['a', 'b'], ['z'], {}, 'max_node')],
      params: { a: p([2, 3]), b: p([2, 3]) },
      outDims: [2, 3],
    });
    await expect(GradientSession.create(model, { wrt: ['a', 'b'], loss: { kind: 'vjp' } })).rejects.toMatchObject({
      code: 'AUTODIFF_UNSUPPORTED_OP',
      message: expect.stringMatching(/Max.*max_node/),
    });
  });
});
