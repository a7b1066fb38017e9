/**
 * CSV and JSON exports of every stored run in a report (one CSV line per run, flat columns).
 */
import type { RunEntry } from '../../../common/api.js';
import type { ReportData } from './data.js';

export const CSV_COLUMNS = [
  'id',
  'created_at',
  'kind',
  'status',
  'model',
  'variant',
  'sweep_id',
  'device',
  'backend',
  'p50_ms',
  'p90_ms',
  'p99_ms',
  'mean_ms',
  'min_ms',
  'max_ms',
  'std_ms',
  'init_ms',
  'first_ms',
  'peak_rss_bytes',
  'runs',
  'warmup',
  'threads',
  'top1',
  'top5',
  'eval_n',
  'error_code',
  'error_message',
] as const;

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function row(r: RunEntry): unknown[] {
  const b = r.bench;
  const e = r.eval;
  return [
    r.id,
    r.createdAt,
    r.kind,
    r.status,
    r.modelName,
    r.variant,
    r.sweepId,
    r.device,
    r.backend ?? b?.backend,
    b?.p50Ms,
    b?.p90Ms,
    b?.p99Ms,
    b?.meanMs,
    b?.minMs,
    b?.maxMs,
    b?.stdMs,
    b?.initMs,
    b?.firstMs,
    b?.peakRssBytes,
    b?.runs,
    b?.warmup,
    b?.threads,
    e?.top1,
    e?.top5,
    e?.n,
    r.error?.code,
    r.error?.message,
  ];
}

/** All runs as CSV with a header line. */
export function runsToCsv(runs: RunEntry[]): string {
  return [CSV_COLUMNS.join(','), ...runs.map((r) => row(r).map(cell).join(','))].join('\n') + '\n';
}

/** The report's data (runs, aggregates, sweep) as pretty JSON. */
export function runsToJson(data: ReportData): string {
  return `${JSON.stringify(
    {
      generatedAt: data.generatedAt,
      host: data.host,
      devices: data.devices,
      models: data.models,
      settings: Object.fromEntries(data.settings),
      latency: data.benchRows,
      accuracy: data.evalRows,
      notes: data.notes,
      sweep: data.sweep,
      runs: data.runs,
    },
    null,
    2,
  )}\n`;
}
