/**
 * Recording single runs (outside sweeps) from the CLI and servers: registers the model and stores the run.
 * A store that cannot be opened never fails the measurement itself: the caller gets the reason back.
 */
import { serializeError } from '../../../common/errors.js';
import type { RunKind, RunStatus } from '../../../common/types/store.js';
import type { ModelSummary } from '../../../common/types/model.js';
import { ResultsStore } from './results-store.js';

export interface StandaloneRun {
  kind: RunKind;
  model: ModelSummary;
  device: string;
  backend: string;
  startedAt: string;
  /** Result when the run succeeded; else the thrown error. */
  outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
}

/** Store a run with `sweep_id` NULL. Returns the run id, or an error message when storing failed. */
export function recordStandaloneRun(run: StandaloneRun, dbFile?: string): { id: number } | { error: string } {
  let store: ResultsStore | undefined;
  try {
    store = ResultsStore.open(dbFile);
    store.upsertModel({ sha256: run.model.sha256, path: run.model.path, summary: run.model });
    const err = run.outcome.ok ? null : serializeError(run.outcome.error);
    const status: RunStatus = run.outcome.ok ? 'ok' : err?.code === 'CANCELLED' ? 'cancelled' : 'failed';
    const id = store.recordRun({
      kind: run.kind,
      modelSha256: run.model.sha256,
      device: run.device,
      backend: run.backend,
      status,
      result: run.outcome.ok ? run.outcome.result : undefined,
      error: err,
      startedAt: run.startedAt,
    });
    return { id };
  } catch (e) {
    return { error: serializeError(e).message };
  } finally {
    store?.close();
  }
}
