/**
 * Static SVG charts for the report (no script needed, so they print to PDF as they are): grouped bars with
 * p50–p90 whiskers, and an accuracy-vs-latency scatter with the Pareto front drawn.
 */
import { FRONT, GRID, INK, MUTED, seriesColor } from '../../../common/palette.js';
import { paretoFront, type TradeoffPoint } from '../../../common/pareto.js';

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Tick label: no decimals when the tick step is whole. */
function tickLabel(v: number, step: number): string {
  if (Number.isInteger(step)) return v.toFixed(0);
  const digits = step >= 1 ? 1 : Math.min(3, 1 - Math.floor(Math.log10(step)));
  return v.toFixed(digits);
}

/** Round `max` up to a "nice" axis maximum and give 5 ticks. */
function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const step0 = max / 5;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(6)));
  return ticks;
}

export interface BarSeries {
  name: string;
  /** One value per category (null = no data). */
  values: Array<number | null>;
  /** Optional upper whisker per category (e.g. p90 over a p50 bar). */
  upper?: Array<number | null>;
}

export interface BarChartSpec {
  title: string;
  categories: string[];
  series: BarSeries[];
  yLabel: string;
  width?: number;
  height?: number;
}

/** Vertical grouped bars; whiskers from the bar top to `upper`. */
export function groupedBarSvg(spec: BarChartSpec): string {
  const W = spec.width ?? 720;
  const m = { l: 56, r: 16, t: 34, b: 64 };
  const pw = W - m.l - m.r;
  // Category labels that do not fit under their group are drawn slanted, with room made below the plot.
  const labels = spec.categories.map((c) => (c.length > 30 ? `${c.slice(0, 29)}…` : c));
  const slanted = labels.some((c) => c.length * CHAR_W > pw / Math.max(1, labels.length) - 6);
  const extra = slanted ? Math.ceil(Math.max(...labels.map((c) => c.length)) * CHAR_W * 0.5) : 0;
  m.b += extra;
  const H = (spec.height ?? 300) + extra;
  const ph = H - m.t - m.b;
  const all = spec.series.flatMap((s) => [...s.values, ...(s.upper ?? [])]).filter((v): v is number => v !== null);
  const ticks = niceTicks(Math.max(0, ...all));
  const ymax = ticks[ticks.length - 1] ?? 1;
  const y = (v: number): number => m.t + ph - (v / ymax) * ph;
  const groupW = pw / Math.max(1, spec.categories.length);
  const barW = Math.min(36, (groupW * 0.8) / Math.max(1, spec.series.length));
  const parts: string[] = [];
  parts.push(`<text x="${m.l}" y="18" font-size="13" font-weight="600" fill="${INK}">${esc(spec.title)}</text>`);
  const yStep = (ticks[1] ?? 1) - (ticks[0] ?? 0);
  for (const t of ticks) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(t)}" y2="${y(t)}" stroke="${GRID}"/>`);
    parts.push(
      `<text x="${m.l - 6}" y="${y(t) + 4}" font-size="10" text-anchor="end" fill="${MUTED}">${tickLabel(t, yStep)}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="${MUTED}">${esc(spec.yLabel)}</text>`,
  );
  spec.categories.forEach((cat, ci) => {
    const gx = m.l + ci * groupW + (groupW - barW * spec.series.length) / 2;
    spec.series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === null || v === undefined) return;
      const x = gx + si * barW;
      parts.push(
        `<rect x="${x + 1}" y="${y(v)}" width="${barW - 2}" height="${Math.max(0, m.t + ph - y(v))}" fill="${seriesColor(si)}" rx="2"/>`,
      );
      const u = s.upper?.[ci];
      if (u !== null && u !== undefined && u > v) {
        const cx = x + barW / 2;
        parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(v)}" y2="${y(u)}" stroke="${INK}" stroke-width="1.2"/>`);
        parts.push(
          `<line x1="${cx - 4}" x2="${cx + 4}" y1="${y(u)}" y2="${y(u)}" stroke="${INK}" stroke-width="1.2"/>`,
        );
      }
    });
    const label = labels[ci] ?? cat;
    const lx = m.l + ci * groupW + groupW / 2;
    parts.push(
      slanted
        ? `<text transform="translate(${lx + 4} ${m.t + ph + 12}) rotate(-30)" font-size="10" text-anchor="end" fill="${INK}">${esc(label)}</text>`
        : `<text x="${lx}" y="${m.t + ph + 16}" font-size="10" text-anchor="middle" fill="${INK}">${esc(label)}</text>`,
    );
  });
  // Legend.
  let lx = m.l;
  spec.series.forEach((s, si) => {
    parts.push(`<rect x="${lx}" y="${H - 18}" width="10" height="10" fill="${seriesColor(si)}" rx="2"/>`);
    parts.push(`<text x="${lx + 14}" y="${H - 9}" font-size="10" fill="${INK}">${esc(s.name)}</text>`);
    lx += 24 + s.name.length * 6;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">${parts.join('')}</svg>`;
}

/** Approximate width of one 10 px label character. */
const CHAR_W = 5.6;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Candidate label offsets from a point (dx away from the point, dy from its centre), nearest first. */
const LABEL_OFFSETS: Array<[number, number]> = [
  [8, -6],
  [8, 12],
  [8, -20],
  [8, 26],
  [8, -34],
  [8, 40],
  [-4, -48],
  [-4, 54],
];

export interface ScatterSpec {
  title: string;
  points: TradeoffPoint[];
  width?: number;
  height?: number;
}

/** Accuracy (y, %) against latency (x, ms); Pareto-front points joined and highlighted. */
export function tradeoffScatterSvg(spec: ScatterSpec): string {
  const W = spec.width ?? 720;
  const H = spec.height ?? 320;
  const m = { l: 56, r: 24, t: 34, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs = spec.points.map((p) => p.latency);
  const ys = spec.points.map((p) => p.accuracy * 100);
  const xTicks = niceTicks(Math.max(0, ...xs) * 1.1);
  const xmax = xTicks[xTicks.length - 1] ?? 1;
  const span0 = Math.max(1, Math.max(0, ...ys) - Math.min(100, ...ys));
  const yStep = span0 > 30 ? 10 : span0 > 12 ? 5 : span0 > 5 ? 2 : 1;
  const ylo = Math.max(0, Math.floor((Math.min(100, ...ys) - yStep) / yStep) * yStep);
  const yhi = Math.min(100, Math.ceil((Math.max(0, ...ys) + yStep / 2) / yStep) * yStep);
  const x = (v: number): number => m.l + (v / xmax) * pw;
  const y = (v: number): number => m.t + ph - ((v - ylo) / Math.max(1, yhi - ylo)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${m.l}" y="18" font-size="13" font-weight="600" fill="${INK}">${esc(spec.title)}</text>`);
  for (let v = ylo; v <= yhi; v += yStep) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="${GRID}"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end" fill="${MUTED}">${v}%</text>`);
  }
  const xStep = (xTicks[1] ?? 1) - (xTicks[0] ?? 0);
  for (const t of xTicks) {
    parts.push(
      `<text x="${x(t)}" y="${m.t + ph + 16}" font-size="10" text-anchor="middle" fill="${MUTED}">${tickLabel(t, xStep)}</text>`,
    );
  }
  parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="${MUTED}"/>`);
  parts.push(
    `<text x="${m.l + pw / 2}" y="${H - 6}" font-size="11" text-anchor="middle" fill="${MUTED}">p50 latency (ms)</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" font-size="11" text-anchor="middle" fill="${MUTED}">top-1 accuracy</text>`,
  );
  const front = new Set(paretoFront(spec.points));
  const frontPts = [...front].map((i) => spec.points[i]!).sort((a, b) => a.latency - b.latency);
  if (frontPts.length > 1) {
    const d = frontPts.map((p) => `${x(p.latency).toFixed(1)},${y(p.accuracy * 100).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${d}" fill="none" stroke="${FRONT}" stroke-width="1.5" stroke-dasharray="4 3"/>`);
  }
  const centres = spec.points.map((p) => ({ cx: x(p.latency), cy: y(p.accuracy * 100) }));
  spec.points.forEach((_, i) => {
    const on = front.has(i);
    const { cx, cy } = centres[i]!;
    parts.push(
      `<circle cx="${cx}" cy="${cy}" r="${on ? 6 : 4.5}" fill="${on ? FRONT : seriesColor(0)}" fill-opacity="0.85"/>`,
    );
  });
  // Labels: Pareto points first, each at the first nearby spot that overlaps no other label or point.
  const order = spec.points.map((_, i) => i).sort((a, b) => Number(front.has(b)) - Number(front.has(a)));
  const placed: Box[] = centres.map(({ cx, cy }) => ({ x: cx - 5, y: cy - 5, w: 10, h: 10 }));
  for (const i of order) {
    const p = spec.points[i]!;
    const { cx, cy } = centres[i]!;
    const w = p.label.length * CHAR_W;
    const right = cx > m.l + pw * 0.7;
    const spot = LABEL_OFFSETS.map(([dx, dy]) => {
      const bx = right ? cx - dx - w : cx + dx;
      return { x: bx, y: cy + dy - 9, w, h: 12 };
    }).find((b) => b.y > m.t - 4 && b.y + b.h < m.t + ph && !placed.some((o) => overlaps(o, b)));
    if (!spot) continue; // no free spot: the table below the chart names every variant
    placed.push(spot);
    if (Math.abs(spot.y + 9 - cy) > 14) {
      // A label moved away from its point gets a thin leader line back to it.
      const ax = right ? spot.x + spot.w : spot.x;
      const ay = spot.y + (spot.y < cy ? spot.h : 0);
      parts.push(`<line x1="${cx}" y1="${cy}" x2="${ax}" y2="${ay}" stroke="${MUTED}" stroke-width="0.6"/>`);
    }
    parts.push(`<text x="${spot.x}" y="${spot.y + 9}" font-size="10" fill="${INK}">${esc(p.label)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}">${parts.join('')}</svg>`;
}
