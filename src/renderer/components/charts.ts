/**
 * Chart.js set-up shared by the chart components: registration, product colours and a plugin that draws
 * p50→p90 whiskers over bars (datasets carrying an `upper` array).
 */
import { Chart, registerables, type Plugin } from 'chart.js';
import { seriesColor } from '../../common/palette';

Chart.register(...registerables);
Chart.defaults.font.family = 'Inter, "Segoe UI", system-ui, -apple-system, sans-serif';
Chart.defaults.color = '#4b5563';
Chart.defaults.animation = false;

export { Chart, seriesColor };

/** Reports the legend's item texts after every layout (shown as the chart box's `data-legend`). */
export function legendProbe(onItems: (texts: string[]) => void): Plugin {
  return {
    id: 'pqvLegendProbe',
    afterUpdate(chart) {
      const items = (chart as unknown as { legend?: { legendItems?: Array<{ text: string }> } }).legend?.legendItems;
      onItems((items ?? []).map((i) => i.text));
    },
  };
}

/** Draws a whisker from each bar's top to `dataset.upper[i]`. */
export const whiskerPlugin: Plugin<'bar'> = {
  id: 'pqvWhiskers',
  afterDatasetsDraw(chart) {
    const { ctx } = chart;
    const yScale = chart.scales.y;
    if (!yScale) return;
    chart.data.datasets.forEach((ds, di) => {
      const upper = (ds as unknown as { upper?: Array<number | null> }).upper;
      const meta = chart.getDatasetMeta(di);
      if (!upper || meta.hidden) return;
      meta.data.forEach((bar, i) => {
        const u = upper[i];
        const v = ds.data[i];
        if (u === null || u === undefined || typeof v !== 'number' || u <= v) return;
        const { x } = bar.getProps(['x'], true) as { x: number };
        const top = yScale.getPixelForValue(v);
        const yu = yScale.getPixelForValue(u);
        ctx.save();
        ctx.strokeStyle = '#1f2937';
        ctx.lineWidth = 1.3;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, yu);
        ctx.moveTo(x - 5, yu);
        ctx.lineTo(x + 5, yu);
        ctx.stroke();
        ctx.restore();
      });
    });
  },
};

/** Legend and title options every PQV chart shares (legend at the bottom, left-aligned bold title). */
export function basePlugins(title?: string) {
  return {
    legend: { position: 'bottom' as const, labels: { boxWidth: 12, boxHeight: 12 } },
    title: title
      ? { display: true, text: title, align: 'start' as const, font: { size: 13, weight: 'bold' as const } }
      : { display: false },
  };
}
