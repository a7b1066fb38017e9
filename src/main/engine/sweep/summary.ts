/**
 * `summarizeSweep`: the rows the UI tables, charts and the report need, built from the stored sweep and its runs —
 * per variant accuracy, size and params; per device × backend latency, speed-up over the baseline and Pareto flags.
 */
import { PqvError } from '../../../common/errors.js';
import type { SweepCell, SweepResults, SweepRow, SweepState } from '../../../common/types/sweep.js';
import type { ResultsStore } from '../store/results-store.js';
import { paretoFlags } from '../../../common/pareto.js';
import { toSweepStore } from './sqlite-store.js';
import { storedRunKey, type StoredRun, type StoredSweep, type SweepStore } from './store-port.js';

/** Sweeps running in this process; a stored `running` sweep not in here was interrupted (crash, kill). */
export const activeSweeps = new Set<string>();

function processAlive(pid: number | undefined): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** The state to show: `running` sweeps that no process runs any more (crash, kill) are `interrupted`. */
export function effectiveState(s: StoredSweep): SweepState {
  if (s.state !== 'running' || activeSweeps.has(s.id) || processAlive(s.config.pid)) return s.state;
  return 'interrupted';
}

/** Summary of one stored sweep. Throws SWEEP_NOT_FOUND for an unknown id. */
export function summarizeSweep(results: SweepStore | ResultsStore, sweepId: string): SweepResults {
  const store = toSweepStore(results);
  const rec = store.getSweep(sweepId);
  if (!rec)
    throw new PqvError('SWEEP_NOT_FOUND', `No sweep with id ${sweepId}. List sweeps with \`pqv sweep --list\`.`, {
      sweepId,
    });
  return buildResults(rec, store.listRuns(sweepId));
}

/** Pure part of `summarizeSweep`. */
export function buildResults(rec: StoredSweep, runs: StoredRun[]): SweepResults {
  const cfg = rec.config;
  const byKey = new Map(runs.map((r) => [storedRunKey(r), r]));
  const rows: SweepRow[] = cfg.variants.map((v) => {
    const b = cfg.builds[v.key];
    const err = cfg.buildErrors[v.key];
    const row: SweepRow = {
      key: v.key,
      label: v.label,
      isBaseline: v.isBaseline,
      status: b ? 'ok' : err ? 'failed' : 'pending',
      cells: [],
    };
    if (v.prune) row.prune = v.prune;
    if (v.quant) row.quant = v.quant;
    if (err && !b) row.error = err;
    if (b) {
      row.sha256 = b.sha256;
      row.bytes = b.bytes;
      row.params = b.params;
      if (b.duplicateOf) row.duplicateOf = b.duplicateOf;
      const ev = byKey.get(storedRunKey({ kind: 'eval', variantSha256: b.sha256, device: 'host', backend: 'host' }));
      if (ev?.status === 'ok' && ev.eval) {
        row.top1 = ev.eval.top1;
        row.top5 = ev.eval.top5;
        row.evalN = ev.eval.n;
      } else if (ev?.error && !row.error) row.error = ev.error;
    }
    row.cells = cfg.targets.map((t): SweepCell => {
      const cell: SweepCell = { device: t.device, backend: t.backend, status: 'pending', pareto: false };
      const r = b
        ? byKey.get(storedRunKey({ kind: 'bench', variantSha256: b.sha256, device: t.device, backend: t.backend }))
        : undefined;
      if (!b && err) {
        cell.status = 'failed';
        cell.error = err;
      }
      if (r) {
        cell.status = r.status;
        if (r.bench) {
          cell.p50Ms = r.bench.p50Ms;
          cell.p90Ms = r.bench.p90Ms;
          cell.meanMs = r.bench.meanMs;
          cell.initMs = r.bench.initMs;
          cell.peakRssBytes = r.bench.peakRssBytes;
        }
        if (r.error && r.status !== 'ok') cell.error = r.error;
      }
      return cell;
    });
    return row;
  });

  const baseline = rows.find((r) => r.isBaseline);
  if (baseline?.bytes) for (const r of rows) if (r.bytes !== undefined) r.sizeRatio = r.bytes / baseline.bytes;
  cfg.targets.forEach((_, ti) => {
    const base = baseline?.cells[ti];
    const cells = rows.map((r) => r.cells[ti]!);
    for (const c of cells) if (base?.p50Ms && c.p50Ms && c.status === 'ok') c.speedup = base.p50Ms / c.p50Ms;
    const flags = paretoFlags(
      rows.map((r, ri) => ({ latency: cells[ri]!.status === 'ok' ? cells[ri]!.p50Ms : undefined, accuracy: r.top1 })),
    );
    flags.forEach((f, ri) => (cells[ri]!.pareto = f));
  });

  const all = rows.flatMap((r) => r.cells);
  const results: SweepResults = {
    sweepId: rec.id,
    name: cfg.spec.name,
    state: effectiveState(rec),
    createdAt: rec.createdAt,
    modelPath: cfg.modelPath,
    spec: cfg.spec,
    targets: cfg.targets,
    rows,
    counts: {
      total: all.length,
      ok: all.filter((c) => c.status === 'ok').length,
      failed: all.filter((c) => c.status === 'failed').length,
      pending: all.filter((c) => c.status === 'pending' || c.status === 'cancelled').length,
    },
  };
  if (rec.finishedAt) results.finishedAt = rec.finishedAt;
  return results;
}
