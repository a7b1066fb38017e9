/**
 * Report data: turns stored runs (and a sweep, when the report is about one) into the rows, aggregates and notes
 * that the HTML report, the CSV/JSON exports and the UI tables show.
 */
import type { HostInfo, RunEntry, SweepDetail } from '../../../common/api.js';
import type { DeviceInfo } from '../../../common/types/devices.js';

/** One (model or variant, device, backend) latency row, averaged over repeats. */
export interface BenchRow {
  label: string;
  device: string;
  backend: string;
  /** Successful repeats averaged into this row. */
  repeats: number;
  p50Ms: number;
  p90Ms: number;
  meanMs: number;
  initMs: number;
  peakRssBytes: number;
  /** Baseline p50 / this p50 on the same device and backend (sweeps only). */
  speedup?: number;
  top1?: number;
  bytes?: number;
  params?: number;
}

export interface EvalRow {
  label: string;
  top1: number;
  top5: number;
  n: number;
  bytes?: number;
  params?: number;
}

export interface ReportData {
  title: string;
  generatedAt: string;
  host: HostInfo;
  devices: DeviceInfo[];
  /** Model file names the report covers. */
  models: string[];
  dataset?: string;
  /** Settings shown on the cover, in order. */
  settings: Array<[string, string]>;
  benchRows: BenchRow[];
  evalRows: EvalRow[];
  /** Failures, cancellations, thermal notes. */
  notes: string[];
  runs: RunEntry[];
  sweep?: SweepDetail;
}

export interface BuildReportInput {
  runs: RunEntry[];
  sweep?: SweepDetail;
  devices: DeviceInfo[];
  host: HostInfo;
  generatedAt: Date;
}

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const basename = (p: string): string => p.split(/[\\/]/).pop() ?? p;

function aggregate(
  label: string,
  device: string,
  backend: string,
  benches: NonNullable<RunEntry['bench']>[],
): BenchRow {
  return {
    label,
    device,
    backend,
    repeats: benches.length,
    p50Ms: mean(benches.map((b) => b.p50Ms)),
    p90Ms: mean(benches.map((b) => b.p90Ms)),
    meanMs: mean(benches.map((b) => b.meanMs)),
    initMs: mean(benches.map((b) => b.initMs)),
    peakRssBytes: Math.max(...benches.map((b) => b.peakRssBytes)),
  };
}

function thermalNotes(label: string, device: string, bench: NonNullable<RunEntry['bench']>): string[] {
  const t = bench.thermal;
  if (!t) return [];
  const before = t.before.status ?? 0;
  const after = t.after.status ?? 0;
  if (after >= 2 || after > before) {
    return [
      `${label} on ${device}: thermal status rose from ${before} to ${after} during the run; latencies may be throttled.`,
    ];
  }
  return [];
}

function errText(e: { code: string; message: string; hint?: string } | undefined): string {
  if (!e) return 'unknown error';
  return `${e.code}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
}

function fromSweep(sweep: SweepDetail, runs: RunEntry[]): Pick<ReportData, 'benchRows' | 'evalRows' | 'notes'> {
  const notes: string[] = [];
  const benchRows: BenchRow[] = [];
  const evalRows: EvalRow[] = [];
  for (const row of sweep.rows) {
    if (row.status === 'failed') notes.push(`Variant ${row.label} failed: ${errText(row.error)}`);
    if (row.top1 !== undefined) {
      evalRows.push({
        label: row.label,
        top1: row.top1,
        top5: row.top5 ?? 0,
        n: row.evalN ?? 0,
        bytes: row.bytes,
        params: row.params,
      });
    }
    for (const c of row.cells) {
      if (c.status === 'ok' && c.p50Ms !== undefined) {
        benchRows.push({
          label: row.label,
          device: c.device,
          backend: c.backend,
          repeats: sweep.spec.bench.repeats ?? 1,
          p50Ms: c.p50Ms,
          p90Ms: c.p90Ms ?? c.p50Ms,
          meanMs: c.meanMs ?? c.p50Ms,
          initMs: c.initMs ?? 0,
          peakRssBytes: c.peakRssBytes ?? 0,
          speedup: c.speedup,
          top1: row.top1,
          bytes: row.bytes,
          params: row.params,
        });
      } else if (c.status === 'failed' || c.status === 'cancelled') {
        notes.push(`${row.label} on ${c.device}/${c.backend} ${c.status}: ${errText(c.error)}`);
      }
    }
  }
  for (const r of runs) {
    if (r.bench) notes.push(...thermalNotes(r.variant ?? r.modelName, r.device, r.bench));
  }
  if (sweep.counts.pending > 0)
    notes.push(`${sweep.counts.pending} of ${sweep.counts.total} runs did not run (sweep ${sweep.state}).`);
  return { benchRows, evalRows, notes };
}

function fromRuns(runs: RunEntry[]): Pick<ReportData, 'benchRows' | 'evalRows' | 'notes'> {
  const notes: string[] = [];
  const groups = new Map<string, NonNullable<RunEntry['bench']>[]>();
  const evalRows: EvalRow[] = [];
  const seenEval = new Set<string>();
  for (const r of runs) {
    const label = r.variant ?? r.modelName;
    if (r.status !== 'ok') {
      notes.push(
        `${r.kind} of ${label} on ${r.device} ${r.status}${r.error ? ` — ${r.error.code}: ${r.error.message}` : ''}`,
      );
      continue;
    }
    if (r.kind === 'bench' && r.bench) {
      const key = `${label}\u0000${r.device}\u0000${r.backend ?? r.bench.backend}`;
      groups.set(key, [...(groups.get(key) ?? []), r.bench]);
      notes.push(...thermalNotes(label, r.device, r.bench));
    } else if (r.kind === 'eval' && r.eval && !seenEval.has(label)) {
      // Runs come newest first: keep the latest evaluation of each model.
      seenEval.add(label);
      evalRows.push({ label, top1: r.eval.top1, top5: r.eval.top5, n: r.eval.n });
    }
  }
  const benchRows = [...groups].map(([key, benches]) => {
    const [label = '', device = '', backend = ''] = key.split('\u0000');
    const row = aggregate(label, device, backend, benches);
    row.top1 = evalRows.find((e) => e.label === label)?.top1;
    return row;
  });
  return { benchRows, evalRows, notes };
}

/** Assemble everything the report shows. */
export function buildReportData(input: BuildReportInput): ReportData {
  const { runs, sweep } = input;
  const parts = sweep ? fromSweep(sweep, runs) : fromRuns(runs);
  const models = sweep ? [basename(sweep.modelPath)] : [...new Set(runs.map((r) => r.modelName))];
  const settings: Array<[string, string]> = [];
  let dataset: string | undefined;
  if (sweep) {
    const spec = sweep.spec;
    dataset = `${spec.dataset}${spec.evalLimit ? ` (subset of ${spec.evalLimit} images)` : ''}`;
    settings.push(
      ['Sweep', `${sweep.name} (${sweep.sweepId}), ${sweep.state}`],
      ['Variants', sweep.rows.map((r) => r.label).join(', ')],
      ['Backends', [...new Set(sweep.targets.map((t) => t.backend))].join(', ')],
      ['Runs / warm-up / repeats', `${spec.bench.runs} / ${spec.bench.warmup} / ${spec.bench.repeats ?? 1}`],
      ['Threads', spec.bench.threads ? String(spec.bench.threads) : 'auto'],
    );
  } else {
    const b = runs.find((r) => r.bench)?.bench;
    if (b)
      settings.push(
        ['Runs / warm-up', `${b.runs} / ${b.warmup}`],
        ['Threads', b.threads === 0 ? 'auto' : String(b.threads)],
      );
    settings.push(['Stored runs', String(runs.length)]);
  }
  return {
    title: sweep ? `Sweep report: ${sweep.name}` : 'Benchmark report',
    generatedAt: input.generatedAt.toISOString(),
    host: input.host,
    devices: input.devices,
    models,
    dataset,
    settings,
    ...parts,
    runs,
    sweep,
  };
}
