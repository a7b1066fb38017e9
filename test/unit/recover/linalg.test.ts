/**
 * Float64 Cholesky factorisation and solves, ridge statistics (and their accumulation by ONNX Runtime),
 * Adam and the learning-rate schedule.
 */
import { describe, expect, it } from 'vitest';
import { cholesky, choleskySolve, matmul, solveSpd } from '../../../src/main/engine/recover/linalg.js';
import { Adam, cosineLr } from '../../../src/main/engine/recover/optimizer.js';
import { solveRidge, sseOf } from '../../../src/main/engine/recover/ridge.js';
import { GramAccumulator, type GramStats } from '../../../src/main/engine/recover/gram.js';

/** Deterministic pseudo-random numbers in [-1, 1). */
function seq(n: number, seed: number): Float64Array {
  let s = seed;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

function transpose(a: Float64Array, r: number, c: number): Float64Array {
  const t = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) t[j * r + i] = a[i * c + j] as number;
  return t;
}

describe('cholesky', () => {
  it('factors a known 3×3 matrix', () => {
    // A = L·Lᵀ with L = [[2,0,0],[1,3,0],[-1,2,4]].
    const a = Float64Array.from([4, 2, -2, 2, 10, 5, -2, 5, 21]);
    const l = cholesky(a, 3);
    expect(Array.from(l)).toEqual([2, 0, 0, 1, 3, 0, -1, 2, 4]);
  });

  it('solves A·X = B for a random SPD matrix and several right-hand sides', () => {
    const n = 40;
    const m = seq(n * n, 7);
    const a = matmul(transpose(m, n, n), m, n, n, n);
    for (let i = 0; i < n; i++) a[i * n + i] = (a[i * n + i] as number) + 0.5;
    const x = seq(n * 3, 11);
    const b = matmul(a, x, n, n, 3);
    const got = solveSpd(a, n, b, 3);
    let err = 0;
    for (let i = 0; i < x.length; i++) err = Math.max(err, Math.abs((got[i] as number) - (x[i] as number)));
    expect(err).toBeLessThan(1e-9);
    // Inputs untouched.
    expect(Array.from(matmul(a, x, n, n, 3))).toEqual(Array.from(b));
  });

  it('choleskySolve reuses a factor', () => {
    const a = Float64Array.from([4, 2, -2, 2, 10, 5, -2, 5, 21]);
    const l = cholesky(Float64Array.from(a), 3);
    const x = choleskySolve(l, 3, Float64Array.from([1, 2, 3]), 1);
    const back = matmul(a, x, 3, 3, 1);
    expect(Array.from(back).map((v) => Number(v.toFixed(12)))).toEqual([1, 2, 3]);
  });

  it('rejects a matrix that is not positive definite', () => {
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});

describe('ridge statistics', () => {
  function statsOf(x: Float64Array, y: Float64Array, rows: number, n: number, m: number): GramStats {
    const xt = transpose(x, rows, n);
    const sx = new Float64Array(n);
    const sy = new Float64Array(m);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < n; i++) sx[i] = (sx[i] as number) + (x[r * n + i] as number);
      for (let j = 0; j < m; j++) sy[j] = (sy[j] as number) + (y[r * m + j] as number);
    }
    return {
      inDim: n,
      outDim: m,
      rows,
      xx: matmul(xt, x, n, rows, n),
      xy: matmul(xt, y, n, rows, m),
      sx,
      sy,
      yy: y.reduce((a, v) => a + v * v, 0),
    };
  }

  it('recovers weights and bias of an exactly linear map, and sseOf matches a direct computation', () => {
    const rows = 200;
    const n = 6;
    const m = 3;
    const x = seq(rows * n, 3);
    const w = seq(n * m, 5);
    const b = Float64Array.from([0.5, -1, 2]);
    const y = matmul(x, w, rows, n, m);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < m; j++) y[r * m + j] = (y[r * m + j] as number) + (b[j] as number);
    const s = statsOf(x, y, rows, n, m);
    const sol = solveRidge(s, 1e-12, true);
    sol.w.forEach((v, i) => expect(v).toBeCloseTo(w[i] as number, 8));
    sol.b.forEach((v, i) => expect(v).toBeCloseTo(b[i] as number, 8));
    expect(sseOf(s, sol.w, sol.b)).toBeLessThan(1e-12 * s.yy);
    // A perturbed solution: sseOf equals the directly computed squared error.
    const w2 = sol.w.map((v, i) => v + 0.01 * (i % 3));
    const pred = matmul(x, w2, rows, n, m);
    let direct = 0;
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < m; j++)
        direct += ((pred[r * m + j] as number) + (b[j] as number) - (y[r * m + j] as number)) ** 2;
    expect(sseOf(s, w2, b)).toBeCloseTo(direct, 8);
  });

  it('shrinks the weights as the ridge strength grows', () => {
    const rows = 100;
    const x = seq(rows * 4, 9);
    const y = seq(rows * 2, 13);
    const s = statsOf(x, y, rows, 4, 2);
    const norm = (a: Float64Array): number => Math.sqrt(a.reduce((acc, v) => acc + v * v, 0));
    expect(norm(solveRidge(s, 10, true).w)).toBeLessThan(norm(solveRidge(s, 1e-6, true).w));
  });
});

describe('optimizer', () => {
  it('Adam minimises a quadratic', () => {
    const p = Float32Array.from([3, -2, 1]);
    const target = [1, 1, -1];
    const adam = new Adam(new Map([['p', p]]));
    for (let t = 0; t < 500; t++)
      adam.step(new Map([['p', Float32Array.from(p, (v, i) => 2 * (v - (target[i] as number)))]]), 0.05);
    p.forEach((v, i) => expect(v).toBeCloseTo(target[i] as number, 2));
    expect(adam.steps).toBe(500);
  });

  it('AdamW decays only the selected parameters', () => {
    const a = Float32Array.from([1]);
    const b = Float32Array.from([1]);
    const adam = new Adam(
      new Map([
        ['a', a],
        ['b', b],
      ]),
      { weightDecay: 0.5, decay: (n) => n === 'a' },
    );
    adam.step(
      new Map([
        ['a', new Float32Array(1)],
        ['b', new Float32Array(1)],
      ]),
      0.1,
    );
    expect(a[0]).toBeCloseTo(0.95, 6);
    expect(b[0]).toBe(1);
  });

  it('cosine schedule warms up, peaks and decays to the floor', () => {
    expect(cosineLr(0, 100, 1, 10)).toBeCloseTo(0.1);
    expect(cosineLr(9, 100, 1, 10)).toBeCloseTo(1);
    expect(cosineLr(10, 100, 1, 10)).toBeCloseTo(1);
    expect(cosineLr(99, 100, 1, 10, 0.1)).toBeCloseTo(0.1);
    expect(cosineLr(55, 100, 1, 10)).toBeLessThan(cosineLr(30, 100, 1, 10));
  });
});

describe('GramAccumulator', () => {
  it.each(['float32', 'float64'] as const)(
    'accumulates XᵀX, XᵀY[cols], sums and Σy² over batches (%s)',
    async (precision) => {
      const cols = [4, 0, 2];
      const acc = await GramAccumulator.create(4, cols, precision);
      const xs = [seq(2 * 3 * 4, 21), seq(1 * 3 * 4, 22)];
      const ys = [seq(2 * 3 * 5, 23), seq(1 * 3 * 5, 24)];
      await acc.add(
        Float32Array.from(xs[0] as Float64Array),
        [2, 3, 4],
        Float32Array.from(ys[0] as Float64Array),
        [2, 3, 5],
      );
      await acc.add(
        Float32Array.from(xs[1] as Float64Array),
        [1, 3, 4],
        Float32Array.from(ys[1] as Float64Array),
        [1, 3, 5],
      );
      await acc.release();
      // Direct computation over the 9 rows.
      const x = Float64Array.from([...(xs[0] as Float64Array), ...(xs[1] as Float64Array)].map((v) => Math.fround(v)));
      const yAll = Float64Array.from(
        [...(ys[0] as Float64Array), ...(ys[1] as Float64Array)].map((v) => Math.fround(v)),
      );
      const y = Float64Array.from(
        { length: 9 * 3 },
        (_, k) => yAll[Math.floor(k / 3) * 5 + (cols[k % 3] as number)] as number,
      );
      const xt = transpose(x, 9, 4);
      const s = acc.stats;
      expect(s.rows).toBe(9);
      matmul(xt, x, 4, 9, 4).forEach((v, i) => expect(s.xx[i]).toBeCloseTo(v, 5));
      matmul(xt, y, 4, 9, 3).forEach((v, i) => expect(s.xy[i]).toBeCloseTo(v, 5));
      for (let i = 0; i < 4; i++)
        expect(s.sx[i]).toBeCloseTo(
          Array.from({ length: 9 }, (_, r) => x[r * 4 + i] as number).reduce((a, b) => a + b, 0),
          5,
        );
      for (let j = 0; j < 3; j++)
        expect(s.sy[j]).toBeCloseTo(
          Array.from({ length: 9 }, (_, r) => y[r * 3 + j] as number).reduce((a, b) => a + b, 0),
          5,
        );
      expect(s.yy).toBeCloseTo(
        y.reduce((a, v) => a + v * v, 0),
        4,
      );
    },
  );
});
