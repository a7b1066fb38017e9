/**
 * Ridge regression from accumulated statistics (XᵀX, XᵀY, ΣX, ΣY, ΣY², rows): the closed-form fit behind
 * layer-wise reconstruction, and the squared error of any weights, without revisiting the data.
 */
import type { GramStats } from './gram.js';
import { cholesky, choleskySolve, meanDiag } from './linalg.js';

/** Squared error ‖X·W + 1·bᵀ − Y‖² from the statistics (W is in×out row-major, float64). */
export function sseOf(s: GramStats, w: Float64Array, b: Float64Array): number {
  const { inDim: n, outDim: m } = s;
  let quad = 0;
  let cross = 0;
  const gw = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    gw.fill(0);
    const ro = i * n;
    for (let k = 0; k < n; k++) {
      const g = s.xx[ro + k] as number;
      if (g === 0) continue;
      const wo = k * m;
      for (let c = 0; c < m; c++) gw[c] = (gw[c] as number) + g * (w[wo + c] as number);
    }
    const wi = i * m;
    for (let c = 0; c < m; c++) {
      quad += (w[wi + c] as number) * (gw[c] as number);
      cross += (w[wi + c] as number) * ((s.xy[wi + c] as number) - (s.sx[i] as number) * (b[c] as number));
    }
  }
  let bb = 0;
  let by = 0;
  for (let c = 0; c < m; c++) {
    bb += (b[c] as number) ** 2;
    by += (b[c] as number) * (s.sy[c] as number);
  }
  return Math.max(0, quad - 2 * cross + s.rows * bb - 2 * by + s.yy);
}

/** Ridge solution of the statistics; with `bias`, X and Y are centred and the bias is not regularised. */
export function solveRidge(s: GramStats, alpha: number, bias: boolean): { w: Float64Array; b: Float64Array } {
  const { inDim: n, outDim: m, rows } = s;
  const g = Float64Array.from(s.xx);
  const c = Float64Array.from(s.xy);
  if (bias && rows > 0) {
    for (let i = 0; i < n; i++) {
      const mi = (s.sx[i] as number) / rows;
      for (let k = 0; k < n; k++) g[i * n + k] = (g[i * n + k] as number) - mi * (s.sx[k] as number);
      for (let k = 0; k < m; k++) c[i * m + k] = (c[i * m + k] as number) - mi * (s.sy[k] as number);
    }
  }
  const lambda = Math.max(alpha * meanDiag(g, n), 1e-12);
  for (let i = 0; i < n; i++) g[i * n + i] = (g[i * n + i] as number) + lambda;
  const w = choleskySolve(cholesky(g, n), n, c, m);
  const b = new Float64Array(m);
  if (bias && rows > 0) {
    for (let k = 0; k < m; k++) {
      let v = s.sy[k] as number;
      for (let i = 0; i < n; i++) v -= (s.sx[i] as number) * (w[i * m + k] as number);
      b[k] = v / rows;
    }
  }
  return { w, b };
}
