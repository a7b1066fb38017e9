/**
 * `SweepStore` over the SQLite results store: the sweep's plan and built variants live in `sweeps.config_json`,
 * variants in `variants` (by content hash), and every run in `runs`, keyed by (sweep, kind, variant, device,
 * backend) so a run recorded again replaces the old row. A run's `model_sha256` is the sweep's base model (so
 * exports name the model), its `variant_id` the variant that was measured.
 */
import type { BenchResult } from '../../../common/types/bench.js';
import type { EvalResult } from '../../../common/types/evaluate.js';
import type { SweepStatus } from '../../../common/types/store.js';
import type { PlannedVariant, SweepError, SweepState, VariantBuild } from '../../../common/types/sweep.js';
import { ResultsStore } from '../store/results-store.js';
import type { StoredRun, StoredSweep, StoredSweepConfig, SweepStore } from './store-port.js';

/** What `config_json` holds for a sweep run by this engine. */
interface ConfigJson extends StoredSweepConfig {
  kind: 'pqv-sweep';
  error?: SweepError;
}

function toState(s: SweepStatus): SweepState {
  if (s === 'pending') return 'running';
  if (s === 'paused') return 'cancelled';
  return s;
}

function isSweepConfig(c: unknown): c is ConfigJson {
  return !!c && typeof c === 'object' && (c as { kind?: unknown }).kind === 'pqv-sweep';
}

export class SqliteSweepStore implements SweepStore {
  private readonly variantIds = new Map<string, number>();
  private readonly variantShas = new Map<number, string>();
  private readonly modelShas = new Map<string, string>();

  constructor(readonly results: ResultsStore) {}

  /** Open the results database (default: the user-data folder). */
  static open(path?: string): SqliteSweepStore {
    return new SqliteSweepStore(path ? ResultsStore.open(path) : ResultsStore.open());
  }

  close(): void {
    this.results.close();
  }

  createSweep(sweep: StoredSweep): void {
    const config: ConfigJson = { kind: 'pqv-sweep', ...sweep.config };
    this.results.createSweep({ id: sweep.id, config, status: 'running' });
  }

  getSweep(id: string): StoredSweep | undefined {
    const r = this.results.getSweep(id);
    if (!r || !isSweepConfig(r.config)) return undefined;
    const { kind: _kind, error, ...config } = r.config;
    const s: StoredSweep = { id: r.id, createdAt: r.createdAt, state: toState(r.status), config };
    if (r.finishedAt) s.finishedAt = r.finishedAt;
    if (error) s.error = error;
    return s;
  }

  listSweeps(): StoredSweep[] {
    return this.results
      .listSweeps()
      .filter((r) => isSweepConfig(r.config))
      .map((r) => this.getSweep(r.id))
      .filter((s): s is StoredSweep => !!s);
  }

  updateSweep(id: string, patch: Partial<Pick<StoredSweep, 'state' | 'finishedAt' | 'error' | 'config'>>): void {
    if (patch.config || patch.error) {
      const cur = this.results.getSweep(id);
      if (!cur || !isSweepConfig(cur.config)) return;
      const next: ConfigJson = { ...cur.config, ...(patch.config ?? {}), kind: 'pqv-sweep' };
      if (patch.error) next.error = patch.error;
      this.results.db.prepare('UPDATE sweeps SET config_json = ? WHERE id = ?').run(JSON.stringify(next), id);
    }
    if (patch.state) {
      if (patch.state === 'running') {
        this.results.db.prepare("UPDATE sweeps SET status = 'running', finished_at = NULL WHERE id = ?").run(id);
        this.clearError(id);
      } else if (patch.state !== 'interrupted') this.results.updateSweepStatus(id, patch.state);
    }
  }

  private clearError(id: string): void {
    const cur = this.results.getSweep(id);
    if (!cur || !isSweepConfig(cur.config) || !cur.config.error) return;
    const { error: _e, ...rest } = cur.config;
    this.results.db.prepare('UPDATE sweeps SET config_json = ? WHERE id = ?').run(JSON.stringify(rest), id);
  }

  saveVariant(build: VariantBuild, model: { path: string; sha256: string }, spec: PlannedVariant): void {
    const modelId = this.results.upsertModel({ sha256: model.sha256, path: model.path });
    const existing = this.results.getVariant(build.sha256);
    const id = this.results.upsertVariant({
      modelId,
      sha256: build.sha256,
      // The first label a content hash was built under stays its name.
      label: existing?.label ?? build.label,
      spec: existing?.spec ?? { prune: spec.prune ?? null, quant: spec.quant ?? null },
      path: build.path,
      params: build.params,
      bytes: build.bytes,
    });
    this.variantIds.set(build.sha256, id);
  }

  private variantId(sha256: string): number | null {
    const cached = this.variantIds.get(sha256);
    if (cached !== undefined) return cached;
    const v = this.results.getVariant(sha256);
    if (v) this.variantIds.set(sha256, v.id);
    return v?.id ?? null;
  }

  private modelSha(sweepId: string, fallback: string): string {
    let sha = this.modelShas.get(sweepId);
    if (!sha) {
      sha = this.getSweep(sweepId)?.config.modelSha256 ?? fallback;
      this.modelShas.set(sweepId, sha);
    }
    return sha;
  }

  saveRun(sweepId: string, run: StoredRun): void {
    const variantId = this.variantId(run.variantSha256);
    this.results.recordRun({
      sweepId,
      variantId,
      kind: run.kind,
      // Without a variant row the run's own file hash is the only link to what was measured.
      modelSha256: variantId === null ? run.variantSha256 : this.modelSha(sweepId, run.variantSha256),
      device: run.device,
      backend: run.backend,
      status: run.status,
      result: run.bench ?? run.eval,
      error: run.error ?? null,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    });
    if (run.kind === 'eval' && run.status === 'ok' && run.eval && variantId !== null) {
      const v = this.results.getVariant(variantId);
      if (v)
        this.results.upsertVariant({
          modelId: v.modelId,
          sha256: v.sha256,
          label: v.label,
          top1: run.eval.top1,
          top5: run.eval.top5,
          evalN: run.eval.n,
        });
    }
  }

  private variantSha(id: number | null, fallback: string): string {
    if (id === null) return fallback;
    let sha = this.variantShas.get(id);
    if (!sha) {
      sha = this.results.getVariant(id)?.sha256 ?? fallback;
      this.variantShas.set(id, sha);
    }
    return sha;
  }

  listRuns(sweepId: string): StoredRun[] {
    return this.results.listRuns({ sweepId }).map((r) => {
      const run: StoredRun = {
        kind: r.kind,
        variantSha256: this.variantSha(r.variantId, r.modelSha256),
        device: r.device,
        backend: r.backend as StoredRun['backend'],
        status: r.status,
        startedAt: r.startedAt,
        finishedAt: r.finishedAt ?? r.startedAt,
      };
      if (r.status === 'ok' && r.result) {
        if (r.kind === 'eval') run.eval = r.result as EvalResult;
        else run.bench = r.result as BenchResult;
      }
      if (r.error) run.error = r.error as SweepError;
      return run;
    });
  }
}

/** Accept either the results store itself or a sweep store. */
export function toSweepStore(store: SweepStore | ResultsStore): SweepStore {
  return store instanceof ResultsStore ? new SqliteSweepStore(store) : store;
}
