/**
 * What the sweep needs from the results store, and an in-memory implementation (tests, dry runs).
 * Runs are keyed by the variant's content hash, so variants with identical bytes share their benchmarks and a
 * run saved twice (resume, retry) replaces the earlier row instead of adding one.
 */
import type { Backend, BenchResult } from '../../../common/types/bench.js';
import type { EvalResult } from '../../../common/types/evaluate.js';
import type {
  PlannedTarget,
  PlannedVariant,
  SweepError,
  SweepSpec,
  SweepState,
  VariantBuild,
} from '../../../common/types/sweep.js';

/** The sweep's saved configuration: everything resume needs to redo the same plan. */
export interface StoredSweepConfig {
  spec: SweepSpec;
  /** Absolute paths the spec's relative paths resolved to. */
  modelPath: string;
  dataDir: string;
  calibDir?: string;
  modelSha256: string;
  variants: PlannedVariant[];
  targets: PlannedTarget[];
  /** Built variants by spec key (filled in as the sweep runs). */
  builds: Record<string, VariantBuild>;
  /** Variants whose build failed, by spec key. */
  buildErrors: Record<string, SweepError>;
  /** Process running the sweep (to tell a sweep running elsewhere from one that was killed). */
  pid?: number;
}

export interface StoredSweep {
  id: string;
  createdAt: string;
  state: SweepState;
  finishedAt?: string;
  error?: SweepError;
  config: StoredSweepConfig;
}

/** One stored run of a sweep: a benchmark, or the accuracy evaluation of a variant (`host`/`host`). */
export interface StoredRun {
  kind: 'bench' | 'eval';
  variantSha256: string;
  device: string;
  backend: Backend;
  status: 'ok' | 'failed' | 'cancelled';
  bench?: BenchResult;
  eval?: EvalResult;
  error?: SweepError;
  startedAt: string;
  finishedAt: string;
}

export interface SweepStore {
  createSweep(sweep: StoredSweep): void;
  getSweep(id: string): StoredSweep | undefined;
  /** Newest first. */
  listSweeps(): StoredSweep[];
  updateSweep(id: string, patch: Partial<Pick<StoredSweep, 'state' | 'finishedAt' | 'error' | 'config'>>): void;
  /** Record a built variant (model, size, params) under its content hash. */
  saveVariant(build: VariantBuild, model: { path: string; sha256: string }, spec: PlannedVariant): void;
  /** Insert or replace the run with the same (sweep, kind, variant, device, backend). */
  saveRun(sweepId: string, run: StoredRun): void;
  listRuns(sweepId: string): StoredRun[];
}

export function storedRunKey(r: { kind: string; variantSha256: string; device: string; backend: string }): string {
  return `${r.kind}|${r.variantSha256}|${r.device}|${r.backend}`;
}

/** In-memory store with the same semantics as the SQLite one. */
export class MemorySweepStore implements SweepStore {
  private readonly sweeps = new Map<string, StoredSweep>();
  private readonly runs = new Map<string, Map<string, StoredRun>>();
  readonly variants = new Map<string, VariantBuild>();
  /** Number of saveRun calls (tests check that finished runs are not redone). */
  saveCount = 0;

  createSweep(sweep: StoredSweep): void {
    this.sweeps.set(sweep.id, structuredClone(sweep));
    this.runs.set(sweep.id, new Map());
  }
  getSweep(id: string): StoredSweep | undefined {
    const s = this.sweeps.get(id);
    return s ? structuredClone(s) : undefined;
  }
  listSweeps(): StoredSweep[] {
    return [...this.sweeps.values()]
      .map((s) => structuredClone(s))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }
  updateSweep(id: string, patch: Partial<Pick<StoredSweep, 'state' | 'finishedAt' | 'error' | 'config'>>): void {
    const s = this.sweeps.get(id);
    if (s) this.sweeps.set(id, structuredClone({ ...s, ...patch }));
  }
  saveVariant(build: VariantBuild): void {
    if (!this.variants.has(build.sha256)) this.variants.set(build.sha256, structuredClone(build));
  }
  saveRun(sweepId: string, run: StoredRun): void {
    this.saveCount++;
    const m = this.runs.get(sweepId) ?? new Map<string, StoredRun>();
    m.set(storedRunKey(run), structuredClone(run));
    this.runs.set(sweepId, m);
  }
  listRuns(sweepId: string): StoredRun[] {
    return [...(this.runs.get(sweepId)?.values() ?? [])].map((r) => structuredClone(r));
  }
}
