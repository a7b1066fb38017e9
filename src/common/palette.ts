/**
 * The product's chart colours, shared by the report (SVG) and the renderer (Chart.js) so both look the same.
 */
export const SERIES_COLORS = ['#4f6bed', '#16a394', '#f59e0b', '#e11d74', '#8b5cf6', '#0ea5e9', '#84cc16', '#f97316'];

/** Colour of series `i` (wraps around). */
export function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length] ?? '#4f6bed';
}

export const INK = '#1f2937';
export const MUTED = '#6b7280';
export const GRID = '#e5e7eb';
export const FRONT = '#e11d74';
