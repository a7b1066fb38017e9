/**
 * The single seam between the API service and the engine modules. `loadEngine()` returns an `Engine` whose
 * functions call the engine (inspect, host/on-device benchmark, evaluation, devices, results store, sweeps).
 * Everything the service needs from the engine goes through this interface, so wiring a module is a change here only.
 */
import type { LongOperationOptions } from '../../common/progress.js';
import type { Backend, BenchOptions, BenchResult } from '../../common/types/bench.js';
import type { DeviceInfo } from '../../common/types/devices.js';
import type { EvalOptions, EvalResult } from '../../common/types/evaluate.js';
import type { ModelSummary } from '../../common/types/model.js';
import type { ResultsListRequest, RunEntry, SweepSummary } from '../../common/api.js';
import type { SweepEngineEvent, SweepResults, SweepSpec } from '../../common/types/sweep.js';
import { inspectModel } from '../engine/model/inspect.js';
import { benchOnHost } from '../engine/bench/host-bench.js';
import { evaluateModel } from '../engine/evaluate/evaluate.js';
import { ResultsStore } from '../engine/store/results-store.js';
import { createSweepEngine } from '../engine/sweep/index.js';
import { benchOnDevice, listDevices, watchDevices } from '../engine/devices/index.js';
import { JsonlRunStore, SqliteRunStore } from './run-store.js';

/** Stores runs; the service writes one record per bench/eval run. */
export interface RunStore {
  saveRun(run: Omit<RunEntry, 'id'>): Promise<RunEntry>;
  listRuns(query: ResultsListRequest): RunEntry[];
}

/** Options of a sweep start/resume. */
export interface SweepRunOptions {
  signal: AbortSignal;
  onEvent: (event: SweepEngineEvent) => void;
}

/** What the service expects of the sweep pipeline (`src/main/engine/sweep/index.ts` → `createSweepEngine()`). */
export interface SweepEngine {
  /** Create the sweep, return its id at once; `done` settles when it ends. */
  start(spec: SweepSpec, opts: SweepRunOptions): Promise<{ sweepId: string; done: Promise<void> }>;
  resume(sweepId: string, opts: SweepRunOptions): Promise<{ sweepId: string; done: Promise<void> }>;
  list(): Promise<SweepSummary[]>;
  /** Throws SWEEP_NOT_FOUND for an unknown id. */
  get(sweepId: string): Promise<SweepResults>;
}

export interface Engine {
  inspectModel(path: string): Promise<ModelSummary>;
  benchOnHost(modelPath: string, opts: BenchOptions, op: LongOperationOptions): Promise<BenchResult>;
  benchOnDevice(
    serial: string,
    modelPath: string,
    backend: Backend,
    opts: BenchOptions,
    op: LongOperationOptions,
  ): Promise<BenchResult>;
  evaluateModel(modelPath: string, opts: EvalOptions, op: LongOperationOptions): Promise<EvalResult>;
  /** Facts of devices as last seen (for reports of sweeps that ran on phones no longer connected). */
  knownDevices(): DeviceInfo[];
  listDevices(): Promise<DeviceInfo[]>;
  /** Call `onChange` with the full list whenever a device appears, leaves or changes state. Returns stop(). */
  watchDevices(onChange: (devices: DeviceInfo[]) => void): () => void;
  store: RunStore;
  /** Null while the sweep pipeline is not available. */
  sweeps: SweepEngine | null;
  features: { devices: boolean; sweep: boolean; store: boolean };
}

/** Host-only device list, used when the device layer is not available. */
function hostOnly(): DeviceInfo[] {
  return [{ serial: 'host', state: 'host' }];
}

/** Load the engine modules present in this build and adapt them to `Engine`. */
export async function loadEngine(): Promise<Engine> {
  let results: ResultsStore | null = null;
  let store: RunStore;
  try {
    results = ResultsStore.open();
    store = new SqliteRunStore(results);
  } catch {
    store = new JsonlRunStore();
  }
  const withHost = (devices: DeviceInfo[]): DeviceInfo[] =>
    devices.some((d) => d.serial === 'host') ? devices : [...hostOnly(), ...devices];
  /** Remember the facts of every phone seen, for reports and results of phones no longer connected. */
  const remember = (devices: DeviceInfo[]): DeviceInfo[] => {
    for (const d of devices) {
      if (d.serial === 'host' || !d.facts) continue;
      try {
        results?.upsertDevice(d.serial, d.facts);
      } catch {
        /* the device list matters more than remembering it */
      }
    }
    return devices;
  };

  return {
    inspectModel: (p) => inspectModel(p),
    benchOnHost: (p, o, op) => benchOnHost(p, o, op),
    benchOnDevice: (s, p, b, o, op) => benchOnDevice(s, p, b, o, op),
    evaluateModel: (p, o, op) =>
      evaluateModel({ modelPath: p, dataDir: o.dataDir, limit: o.limit, batchSize: o.batchSize }, op),
    knownDevices: () =>
      results
        ? results
            .listDevices()
            .map((d) => ({ serial: d.serial, state: 'unknown' as const, facts: d.facts as DeviceInfo['facts'] }))
        : [],
    listDevices: async () => withHost(remember(await listDevices())),
    watchDevices: (cb) => watchDevices((list) => cb(withHost(remember(list)))),
    store,
    sweeps: createSweepEngine(),
    features: { devices: true, sweep: true, store: results !== null },
  };
}
