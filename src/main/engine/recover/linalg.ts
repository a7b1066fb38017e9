/**
 * Small dense float64 linear algebra for closed-form layer reconstruction: Cholesky factorisation of a
 * symmetric positive-definite matrix and solves with many right-hand sides. Matrices are row-major.
 */
import { PqvError } from '../../../common/errors.js';

/**
 * In-place Cholesky factorisation A = L·Lᵀ of an n×n SPD matrix (row-major). The lower triangle of
 * `a` is overwritten with L (the strict upper triangle is zeroed). Throws when A is not positive definite.
 */
export function cholesky(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new Error(`cholesky: expected ${n * n} values, got ${a.length}`);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j] as number;
    for (let k = 0; k < j; k++) {
      const v = a[rj + k] as number;
      d -= v * v;
    }
    if (!(d > 0) || !Number.isFinite(d)) {
      throw new PqvError(
        'INVALID_ARGUMENT',
        `Matrix is not positive definite (pivot ${j} is ${d}). Increase the regularisation.`,
      );
    }
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j] as number;
      for (let k = 0; k < j; k++) s -= (a[ri + k] as number) * (a[rj + k] as number);
      a[ri + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
  return a;
}

/**
 * Solve L·Lᵀ·X = B for X given the Cholesky factor L (n×n, lower) and B (n×m, row-major).
 * B is overwritten with X and returned.
 */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  if (b.length !== n * m) throw new Error(`choleskySolve: expected ${n * m} right-hand-side values, got ${b.length}`);
  // Forward: L·Z = B (row by row; each row update is a vector operation over the m columns).
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    const bi = i * m;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k] as number;
      if (lik === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) b[bi + c] = (b[bi + c] as number) - lik * (b[bk + c] as number);
    }
    const inv = 1 / (l[ri + i] as number);
    for (let c = 0; c < m; c++) b[bi + c] = (b[bi + c] as number) * inv;
  }
  // Backward: Lᵀ·X = Z.
  for (let i = n - 1; i >= 0; i--) {
    const bi = i * m;
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i] as number;
      if (lki === 0) continue;
      const bk = k * m;
      for (let c = 0; c < m; c++) b[bi + c] = (b[bi + c] as number) - lki * (b[bk + c] as number);
    }
    const inv = 1 / (l[i * n + i] as number);
    for (let c = 0; c < m; c++) b[bi + c] = (b[bi + c] as number) * inv;
  }
  return b;
}

/** Solve A·X = B for SPD A (n×n) and B (n×m); neither input is modified. */
export function solveSpd(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const l = cholesky(Float64Array.from(a), n);
  return choleskySolve(l, n, Float64Array.from(b), m);
}

/** C = A·B for row-major A (r×k) and B (k×c). */
export function matmul(a: Float64Array, b: Float64Array, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let p = 0; p < k; p++) {
      const v = a[i * k + p] as number;
      if (v === 0) continue;
      const bo = p * c;
      const oo = i * c;
      for (let j = 0; j < c; j++) out[oo + j] = (out[oo + j] as number) + v * (b[bo + j] as number);
    }
  }
  return out;
}

/** Mean of the diagonal of an n×n matrix. */
export function meanDiag(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i] as number;
  return n > 0 ? s / n : 0;
}
