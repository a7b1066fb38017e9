/**
 * Public face of the sweep pipeline: `runSweep`, `resumeSweep`, `summarizeSweep`, the demo preset, and
 * `createSweepEngine()`, the start/resume/list/get object the UI service uses (results in the SQLite store).
 */
import { PqvError } from '../../../common/errors.js';
import type { StoreSweepStatus, SweepSummary } from '../../../common/api.js';
import type { SweepEngineEvent, SweepResults, SweepSpec } from '../../../common/types/sweep.js';
import { resumeSweep, runSweep, type RunSweepOptions } from './runner.js';
import { SqliteSweepStore } from './sqlite-store.js';
import type { SweepStore } from './store-port.js';
import { effectiveState, summarizeSweep } from './summary.js';

export { runSweep, resumeSweep, loadSweepFile, type RunSweepOptions } from './runner.js';
export { summarizeSweep, buildResults, activeSweeps, effectiveState } from './summary.js';
export { demoPreset, DEMO_VARIANTS, type DemoPaths } from './preset.js';
export { paretoFlags, type ParetoPoint } from '../../../common/pareto.js';
export { expandPlan, planTargets, planVariants, variantLabel, variantKey, type SweepDevice } from './plan.js';
export { SqliteSweepStore } from './sqlite-store.js';
export { MemorySweepStore, type SweepStore, type StoredSweep, type StoredRun } from './store-port.js';
export type { EnginePorts } from './engine-ports.js';

/** Options of a sweep started through `createSweepEngine`. */
export interface SweepEngineRunOptions {
  signal: AbortSignal;
  onEvent: (event: SweepEngineEvent) => void;
}

/** The sweep service used by the UI: sweeps start in the background and are stored in the results database. */
export interface SweepEngineApi {
  start(spec: SweepSpec, opts: SweepEngineRunOptions): Promise<{ sweepId: string; done: Promise<void> }>;
  resume(sweepId: string, opts: SweepEngineRunOptions): Promise<{ sweepId: string; done: Promise<void> }>;
  list(): Promise<SweepSummary[]>;
  get(sweepId: string): Promise<SweepResults>;
}

/** List sweeps of a store, newest first, with interrupted ones shown as such. */
export function listSweepSummaries(store: SweepStore): SweepSummary[] {
  return store.listSweeps().map((s) => {
    const state = effectiveState(s);
    const summary: SweepSummary = {
      id: s.id,
      name: s.config.spec.name,
      // The store has no `interrupted` status: an interrupted sweep is one still marked running.
      status: (state === 'interrupted' ? 'paused' : state) as StoreSweepStatus,
      createdAt: s.createdAt,
      modelPath: s.config.modelPath,
    };
    if (s.finishedAt) summary.finishedAt = s.finishedAt;
    return summary;
  });
}

/**
 * Start `launch` in the background; resolve with the sweep id once it is recorded. The returned `done` settles
 * when the sweep ends and never rejects (its outcome is in the store and in the `finished` event).
 */
function background(
  launch: (onCreated: (id: string) => void) => Promise<SweepResults>,
): Promise<{ sweepId: string; done: Promise<void> }> {
  return new Promise((resolve, reject) => {
    let id: string | undefined;
    const done = launch((sweepId) => {
      id = sweepId;
      resolve({
        sweepId,
        done: done.then(
          () => undefined,
          () => undefined,
        ),
      });
    });
    done.catch((e: unknown) => {
      if (id === undefined) reject(e);
    });
  });
}

/** The sweep service over the results database of the user-data folder (opened on first use). */
export function createSweepEngine(
  opts: { store?: SweepStore; variantsDir?: string; ports?: RunSweepOptions['ports'] } = {},
): SweepEngineApi {
  let store = opts.store;
  const getStore = (): SweepStore => (store ??= SqliteSweepStore.open());
  const base = (o: SweepEngineRunOptions): RunSweepOptions => ({
    store: getStore(),
    signal: o.signal,
    onEvent: o.onEvent,
    ...(opts.variantsDir ? { variantsDir: opts.variantsDir } : {}),
    ...(opts.ports ? { ports: opts.ports } : {}),
  });
  return {
    start: (spec, o) => background((onCreated) => runSweep(spec, { ...base(o), onCreated })),
    resume: (sweepId, o) => background((onCreated) => resumeSweep(sweepId, { ...base(o), onCreated })),
    list: async () => listSweepSummaries(getStore()),
    get: async (sweepId) => {
      if (!sweepId) throw new PqvError('SWEEP_NOT_FOUND', 'No sweep id given.');
      return summarizeSweep(getStore(), sweepId);
    },
  };
}
