import { describe, expect, it } from 'vitest';
import { buildReportData } from '../../../src/main/engine/report/data.js';
import { keyFindings, renderReportHtml } from '../../../src/main/engine/report/html.js';
import type { BenchRow, ReportData } from '../../../src/main/engine/report/data.js';
import { paretoFront } from '../../../src/common/pareto.js';
import { groupedBarSvg, tradeoffScatterSvg } from '../../../src/main/engine/report/svg-charts.js';
import { CSV_COLUMNS, runsToCsv } from '../../../src/main/engine/report/tables.js';
import type { HostInfo, RunEntry } from '../../../src/common/api.js';
import type { BenchResult } from '../../../src/common/types/bench.js';

const host: HostInfo = {
  hostname: 'box',
  platform: 'linux',
  arch: 'x64',
  osRelease: '6',
  cpuModel: 'Test CPU',
  cpuCount: 8,
  totalMemBytes: 16 * 2 ** 30,
};

function bench(p50: number, p90: number, peak = 100 * 2 ** 20): BenchResult {
  return {
    device: 'host',
    backend: 'host',
    initMs: 50,
    firstMs: 5,
    meanMs: p50 + 0.5,
    p50Ms: p50,
    p90Ms: p90,
    p99Ms: p90 + 1,
    minMs: p50 - 1,
    maxMs: p90 + 2,
    stdMs: 0.3,
    peakRssBytes: peak,
    runs: 20,
    warmup: 2,
    threads: 0,
  };
}

function run(id: string, partial: Partial<RunEntry>): RunEntry {
  return {
    id,
    kind: 'bench',
    createdAt: '2026-01-01T00:00:00.000Z',
    modelPath: '/m/a.onnx',
    modelName: 'a.onnx',
    device: 'host',
    backend: 'host',
    status: 'ok',
    ...partial,
  };
}

describe('report data', () => {
  it('averages repeated runs per model, device and backend and keeps the newest accuracy', () => {
    const runs = [
      run('4', { kind: 'eval', backend: undefined, eval: { top1: 0.9, top5: 0.99, n: 200 } }),
      run('3', { kind: 'eval', backend: undefined, eval: { top1: 0.5, top5: 0.6, n: 200 } }),
      run('2', { bench: bench(4, 6, 200 * 2 ** 20) }),
      run('1', { bench: bench(2, 4, 100 * 2 ** 20) }),
      run('0', { status: 'failed', error: { code: 'BENCH_FAILED', message: 'crashed' } }),
    ];
    const data = buildReportData({
      runs,
      devices: [{ serial: 'host', state: 'host' }],
      host,
      generatedAt: new Date(0),
    });
    expect(data.benchRows).toHaveLength(1);
    const row = data.benchRows[0]!;
    expect(row.repeats).toBe(2);
    expect(row.p50Ms).toBeCloseTo(3);
    expect(row.p90Ms).toBeCloseTo(5);
    expect(row.peakRssBytes).toBe(200 * 2 ** 20);
    expect(row.top1).toBeCloseTo(0.9);
    expect(data.evalRows).toEqual([{ label: 'a.onnx', top1: 0.9, top5: 0.99, n: 200 }]);
    expect(data.notes.join('\n')).toContain('BENCH_FAILED: crashed');
  });

  it('renders a self-contained page with the model, devices, tables and SVG charts', () => {
    const runs = [run('1', { bench: bench(2.5, 3.5) }), run('2', { modelName: 'b<x>.onnx', bench: bench(1.25, 2) })];
    const html = renderReportHtml(buildReportData({ runs, devices: [], host, generatedAt: new Date(0) }));
    expect(html).toContain('Test CPU, 8 logical cores');
    expect(html).toContain('b&lt;x&gt;.onnx');
    expect(html).not.toContain('b<x>.onnx');
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
    expect(html).toMatch(/<td class="num">2\.50<\/td><td class="num">3\.50<\/td>/);
  });
});

describe('charts', () => {
  it('finds the Pareto front of accuracy against latency', () => {
    const pts = [
      { label: 'base', latency: 10, accuracy: 0.9 },
      { label: 'fast', latency: 2, accuracy: 0.88 },
      { label: 'bad', latency: 3, accuracy: 0.5 },
      { label: 'best', latency: 8, accuracy: 0.91 },
    ];
    expect(paretoFront(pts)).toEqual([1, 3]);
  });

  it('draws one bar per value and a whisker where p90 is above p50', () => {
    const svg = groupedBarSvg({
      title: 't',
      categories: ['a', 'b'],
      series: [{ name: 's', values: [1, 2], upper: [1.5, null] }],
      yLabel: 'ms',
    });
    expect(svg.match(/<rect x=/g)?.length).toBe(2 + 1); // two bars + one legend swatch
    expect(svg.match(/stroke-width="1.2"/g)?.length).toBe(2); // one whisker: stem + cap
  });

  it('highlights front points in the scatter', () => {
    const svg = tradeoffScatterSvg({
      title: 't',
      points: [
        { label: 'a', latency: 1, accuracy: 0.9 },
        { label: 'b', latency: 2, accuracy: 0.8 },
      ],
    });
    expect(svg.match(/r="6"/g)?.length).toBe(1);
    expect(svg.match(/r="4.5"/g)?.length).toBe(1);
  });
});

describe('CSV export', () => {
  it('writes a header and one escaped line per run', () => {
    const csv = runsToCsv([run('1', { modelName: 'a,"b".onnx', bench: bench(2, 3) })]);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('"a,""b"".onnx"');
    const cells = lines[1]!.split(',');
    expect(cells[CSV_COLUMNS.indexOf('p50_ms') + 1]).toBe('2'); // +1: the quoted name holds one comma
  });
});

describe('key findings on the cover', () => {
  const row = (label: string, speedup: number, top1: number): BenchRow => ({
    label,
    device: 'host',
    backend: 'host',
    repeats: 1,
    p50Ms: 1 / speedup,
    p90Ms: 1.1 / speedup,
    meanMs: 1 / speedup,
    initMs: 50,
    peakRssBytes: 1,
    speedup,
    top1,
  });
  const data = (rows: BenchRow[]): ReportData => {
    const base = buildReportData({ runs: [], devices: [], host, generatedAt: new Date(0) });
    const sweep = { rows: [{ label: 'baseline', isBaseline: true, top1: 0.905 }] } as unknown as ReportData['sweep'];
    return { ...base, benchRows: rows, sweep };
  };

  it('names the fastest variant within one point of the baseline and the fastest overall', () => {
    const baseline = row('baseline', 1, 0.905);
    const safe = row('pruned-30+int8', 2.31, 0.9015);
    const lossy = row('pruned-50+int8', 3.96, 0.876);
    const f = keyFindings(data([baseline, lossy, safe]));
    expect(f.safe?.label).toBe('pruned-30+int8');
    expect(f.fastest?.label).toBe('pruned-50+int8');
    expect(keyFindings(data([baseline, safe])).safe).toBe(keyFindings(data([baseline, safe])).fastest);
    // Nothing faster than the baseline within one point: no "safe" finding.
    expect(keyFindings(data([baseline, lossy])).safe).toBeUndefined();
  });
});
