/**
 * The report page: `renderReportHtml(data)` returns one self-contained HTML document (inline CSS and SVG charts,
 * no scripts) used for the PDF in every shell and for viewing in the browser.
 */
import type { DeviceInfo } from '../../../common/types/devices.js';
import type { BenchRow, ReportData } from './data.js';
import { esc, groupedBarSvg, tradeoffScatterSvg } from './svg-charts.js';

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number | undefined): string => (v === undefined ? '—' : `${(v * 100).toFixed(2)}%`);
export const formatBytes = (b: number | undefined): string =>
  b === undefined
    ? '—'
    : b >= 1024 ** 3
      ? `${(b / 1024 ** 3).toFixed(1)} GB`
      : b >= 1 << 20
        ? `${(b / (1 << 20)).toFixed(2)} MB`
        : `${(b / 1024).toFixed(1)} KB`;

function deviceLine(d: DeviceInfo, data: ReportData): string {
  if (d.serial === 'host') {
    const h = data.host;
    return `<b>This computer</b> (${esc(h.hostname)}): ${esc(h.cpuModel)}, ${h.cpuCount} logical cores, ${formatBytes(h.totalMemBytes)} RAM, ${esc(h.platform)} ${esc(h.arch)} ${esc(h.osRelease)}`;
  }
  const f = d.facts;
  if (!f) return `<b>${esc(d.serial)}</b>: ${esc(d.state)}${d.hint ? ` — ${esc(d.hint)}` : ''}`;
  return `<b>${esc(f.manufacturer)} ${esc(f.model)}</b> (${esc(d.serial)}): ${esc(f.soc)}, Android ${esc(f.androidVersion)} (SDK ${f.sdk}), ${f.cpuCount} cores, ${formatBytes(f.ramBytes ?? undefined)} RAM${f.thermalStatus !== null ? `, thermal status ${f.thermalStatus}` : ''}${f.batteryTempC !== null ? `, battery ${f.batteryTempC.toFixed(1)} °C` : ''}`;
}

/** `This computer`, or a phone's maker and model with its serial (the serial alone when its facts are unknown). */
function deviceName(serial: string, data: ReportData): string {
  if (serial === 'host') return 'This computer';
  const f = data.devices.find((d) => d.serial === serial)?.facts;
  return f ? `${f.manufacturer} ${f.model} (${serial})` : serial;
}

/** A device × backend: `This computer`, or `Google Pixel 8 (SERIAL) / xnnpack`. */
function targetName(serial: string, backend: string, data: ReportData): string {
  return serial === 'host' ? deviceName(serial, data) : `${deviceName(serial, data)} / ${backend}`;
}

/** One latency chart per device; the section heading stays with the first chart, the others may start a new page. */
function latencySection(data: ReportData): string {
  const rows = data.benchRows;
  if (rows.length === 0) return '<section class="keep"><h2>Latency</h2></section>';
  const devices = [...new Set(rows.map((r) => r.device))];
  // Several devices: shorter charts, so the section fits on fewer pages.
  const height = devices.length > 1 ? 240 : 300;
  const charts = devices.map((device) => {
    const mine = rows.filter((r) => r.device === device);
    const labels = [...new Set(mine.map((r) => r.label))];
    const backends = [...new Set(mine.map((r) => r.backend))];
    const series = backends.map((b) => ({
      name: `${b} p50 (whisker p90)`,
      values: labels.map((l) => mine.find((r) => r.label === l && r.backend === b)?.p50Ms ?? null),
      upper: labels.map((l) => mine.find((r) => r.label === l && r.backend === b)?.p90Ms ?? null),
    }));
    const title = `Latency on ${deviceName(device, data)}`;
    return `<div class="chart">${groupedBarSvg({ title, categories: labels, series, yLabel: 'ms', height })}</div>`;
  });
  return `<section><div class="keep"><h2>Latency</h2>${charts[0]}</div>${charts.slice(1).join('')}</section>`;
}

function tradeoffChart(data: ReportData): string {
  const first = data.benchRows[0];
  if (!first) return '';
  const points = data.benchRows
    .filter((r) => r.device === first.device && r.backend === first.backend && r.top1 !== undefined)
    .map((r) => ({ label: r.label, latency: r.p50Ms, accuracy: r.top1 ?? 0 }));
  if (points.length < 2) return '';
  const title = `Accuracy vs latency on ${targetName(first.device, first.backend, data)} (Pareto front in pink)`;
  return `<div class="chart">${tradeoffScatterSvg({ title, points })}</div>`;
}

function sizeChart(data: ReportData): string {
  const rows = data.evalRows.filter((r) => r.bytes !== undefined);
  if (rows.length < 2) return '';
  const peak = rows.map((r) => {
    const b = data.benchRows.filter((x) => x.label === r.label).map((x) => x.peakRssBytes);
    return b.length ? Math.max(...b) / (1 << 20) : null;
  });
  return `<div class="chart">${groupedBarSvg({
    title: 'Model size and peak memory',
    categories: rows.map((r) => r.label),
    series: [
      { name: 'file size (MB)', values: rows.map((r) => (r.bytes ?? 0) / (1 << 20)) },
      { name: 'peak RSS (MB)', values: peak },
    ],
    yLabel: 'MB',
  })}</div>`;
}

/** Accuracy a variant may lose and still count as "no visible loss" in the findings (1 point of top-1). */
const SMALL_LOSS = 0.01;

/**
 * The variants the cover calls out: the fastest one within one point of the baseline's top-1 (`safe`, absent when
 * none is faster than the baseline) and the fastest overall.
 */
export function keyFindings(data: ReportData): { safe?: BenchRow; fastest?: BenchRow } {
  const withSpeed = data.benchRows.filter((r) => r.speedup !== undefined);
  const fastestOf = (rows: BenchRow[]): BenchRow | undefined =>
    rows.reduce<BenchRow | undefined>((a, b) => (!a || (b.speedup ?? 0) > (a.speedup ?? 0) ? b : a), undefined);
  const baseTop1 = data.sweep?.rows.find((r) => r.isBaseline)?.top1;
  const safe =
    baseTop1 !== undefined
      ? fastestOf(
          withSpeed.filter((r) => r.top1 !== undefined && r.top1 >= baseTop1 - SMALL_LOSS && (r.speedup ?? 0) > 1),
        )
      : undefined;
  const fastest = fastestOf(withSpeed);
  return { ...(safe ? { safe } : {}), ...(fastest ? { fastest } : {}) };
}

function findings(data: ReportData): string {
  const base = data.sweep?.rows.find((r) => r.isBaseline);
  const describe = (r: BenchRow, lead: string): string => {
    const acc =
      r.top1 !== undefined
        ? ` at ${pct(r.top1)} top-1${base?.top1 !== undefined ? ` (baseline ${pct(base.top1)})` : ''}`
        : '';
    const size = r.bytes !== undefined && base?.bytes ? `, ${(base.bytes / r.bytes).toFixed(1)}× smaller` : '';
    return `<div class="finding"><b>${lead}:</b> ${esc(r.label)} runs ${r.speedup!.toFixed(2)}× faster than the baseline on ${esc(targetName(r.device, r.backend, data))} (p50 ${ms(r.p50Ms)} ms)${acc}${size}.</div>`;
  };
  const { safe, fastest } = keyFindings(data);
  if (!fastest) return '';
  if (!safe || safe === fastest) return describe(fastest, 'Key result');
  return describe(safe, 'Key result (within 1 point of the baseline)') + describe(fastest, 'Fastest');
}

function benchTable(rows: BenchRow[]): string {
  if (rows.length === 0) return '<p class="muted">No latency results.</p>';
  const body = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.label)}</td><td>${esc(r.device)}</td><td>${esc(r.backend)}</td><td class="num">${ms(r.p50Ms)}</td><td class="num">${ms(r.p90Ms)}</td><td class="num">${ms(r.initMs)}</td><td class="num">${formatBytes(r.peakRssBytes)}</td><td class="num">${r.speedup ? `${r.speedup.toFixed(2)}×` : '—'}</td><td class="num">${pct(r.top1)}</td><td class="num">${r.repeats}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Model / variant</th><th>Device</th><th>Backend</th><th>p50 ms</th><th>p90 ms</th><th>Init ms</th><th>Peak memory</th><th>Speed-up</th><th>Top-1</th><th>Repeats</th></tr></thead><tbody>${body}</tbody></table>`;
}

function evalTable(data: ReportData): string {
  if (data.evalRows.length === 0) return '<p class="muted">No accuracy results.</p>';
  const body = data.evalRows
    .map(
      (r) =>
        `<tr><td>${esc(r.label)}</td><td class="num">${pct(r.top1)}</td><td class="num">${pct(r.top5)}</td><td class="num">${r.n}</td><td class="num">${formatBytes(r.bytes)}</td><td class="num">${r.params !== undefined ? (r.params / 1e6).toFixed(2) + ' M' : '—'}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>Model / variant</th><th>Top-1</th><th>Top-5</th><th>Images</th><th>Size</th><th>Params</th></tr></thead><tbody>${body}</tbody></table>`;
}

const CSS = `
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2937; font-size: 11px; margin: 0; }
.cover { border-bottom: 3px solid #4f6bed; padding-bottom: 12px; margin-bottom: 14px; }
.brand { color: #4f6bed; font-weight: 700; letter-spacing: .04em; font-size: 12px; }
h1 { font-size: 22px; margin: 6px 0 2px; }
h2 { font-size: 15px; margin: 18px 0 8px; color: #111827; border-left: 4px solid #4f6bed; padding-left: 8px; }
.muted { color: #6b7280; }
dl { display: grid; grid-template-columns: 170px 1fr; gap: 3px 12px; margin: 10px 0 0; }
dt { color: #6b7280; } dd { margin: 0; }
ul.devices { margin: 4px 0 0; padding-left: 18px; }
.chart { break-inside: avoid; margin: 8px 0 12px; }
.chart svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; break-inside: auto; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 6px; text-align: left; }
th { background: #f3f4f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
.notes li { margin-bottom: 3px; }
.keep { break-inside: avoid; }
.finding { margin-top: 12px; background: #eef1fe; border-radius: 6px; padding: 8px 12px; color: #26328a; }
.footer { margin-top: 18px; color: #9ca3af; font-size: 9px; }
`;

/** Render the whole report as one HTML document. */
export function renderReportHtml(data: ReportData): string {
  const devices = data.devices.length ? data.devices : [{ serial: 'host', state: 'host' as const }];
  const usedDevices = new Set(data.benchRows.map((r) => r.device));
  const shown = devices.filter((d) => usedDevices.size === 0 || usedDevices.has(d.serial));
  const settings = data.settings.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const notes = data.notes.length
    ? `<ul class="notes">${data.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
    : '<p class="muted">No failures, cancellations or thermal throttling were recorded.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(data.title)}</title><style>${CSS}</style></head>
<body>
<section class="cover">
  <div class="brand">PQV STUDIO</div>
  <h1>${esc(data.title)}</h1>
  <div class="muted">Generated ${esc(new Date(data.generatedAt).toUTCString())}</div>
  <dl>
    <dt>Model</dt><dd>${esc(data.models.join(', ') || '—')}</dd>
    <dt>Dataset</dt><dd>${esc(data.dataset ?? (data.evalRows.length ? 'see accuracy table' : '—'))}</dd>
    ${settings}
  </dl>
  ${findings(data)}
  <h2>Devices</h2>
  <ul class="devices">${shown.map((d) => `<li>${deviceLine(d, data)}</li>`).join('')}</ul>
</section>
${latencySection(data)}
${benchTable(data.benchRows)}
<section class="keep"><h2>Accuracy</h2>
${tradeoffChart(data) || evalTable(data)}</section>
${tradeoffChart(data) ? evalTable(data) : ''}
${sizeChart(data)}
<section class="keep"><h2>Notes</h2>
${notes}</section>
<div class="footer">PQV Studio report · ${data.runs.length} stored runs · latencies are averages over repeats of per-run percentiles.</div>
</body></html>`;
}
