/**
 * Sweep entry points: `runSweep` (plan, record, run) and `resumeSweep` (run a stored sweep again: finished runs
 * are kept, the rest is done). Both return the sweep's summary; cancellation returns the partial summary with
 * state `cancelled` (resume it later).
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PqvError, isCancelled } from '../../../common/errors.js';
import type { SweepEngineEvent, SweepResults, SweepSpec } from '../../../common/types/sweep.js';
import { parseSweepSpec } from '../../../common/types/sweep-schema.js';
import { variantsDir as defaultVariantsDir } from '../store/paths.js';
import { realPorts, type EnginePorts } from './engine-ports.js';
import { sweepError } from './hints.js';
import { executeSweep } from './execute.js';
import { expandPlan } from './plan.js';
import type { ResultsStore } from '../store/results-store.js';
import { toSweepStore } from './sqlite-store.js';
import type { StoredSweep, SweepStore } from './store-port.js';
import { activeSweeps, summarizeSweep } from './summary.js';

/** Options of `runSweep` / `resumeSweep`. */
export interface RunSweepOptions {
  /** The results store (or any `SweepStore`): the sweep, its variants and every run are recorded there. */
  store: SweepStore | ResultsStore;
  /** Cancels every stage; the sweep is saved as `cancelled` and can be resumed. */
  signal?: AbortSignal;
  /** Live events (stage, progress with ETA, finished runs). */
  onEvent?: (event: SweepEngineEvent) => void;
  /** Called with the new sweep's id as soon as it is recorded. */
  onCreated?: (sweepId: string) => void;
  /** Engine functions to use instead of the real ones (tests). */
  ports?: Partial<EnginePorts>;
  /** Cache folder of built variants. Default: the `variants` folder of the user-data folder. */
  variantsDir?: string;
  /** Folder that relative paths of the spec resolve against. Default: the current folder. */
  baseDir?: string;
  /** Poll interval while waiting for a phone to come back, ms. Default 1000. */
  devicePollMs?: number;
  /** Retries of one run after its phone went away and came back. Default 3. */
  maxDeviceRetries?: number;
}

function newSweepId(): string {
  const d = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `sw-${d}-${randomBytes(3).toString('hex')}`;
}

async function mustExist(path: string, what: string, field: string): Promise<void> {
  const s = await stat(path).catch(() => undefined);
  if (!s)
    throw new PqvError(
      'FILE_NOT_FOUND',
      `The sweep's ${what} was not found: ${path}. Fix "${field}" in the sweep config.`,
      { path, field },
    );
}

/** Plan and record a new sweep, then run it. */
export async function runSweep(input: SweepSpec, opts: RunSweepOptions): Promise<SweepResults> {
  const spec = parseSweepSpec(input);
  const ports: EnginePorts = { ...realPorts(), ...opts.ports };
  const base = resolve(opts.baseDir ?? process.cwd());
  const modelPath = resolve(base, spec.model);
  const dataDir = resolve(base, spec.dataset);
  const calibDir = resolve(base, spec.calibDataset ?? spec.dataset);
  await mustExist(modelPath, 'model', 'model');
  await mustExist(dataDir, 'dataset', 'dataset');
  await mustExist(calibDir, 'calibration dataset', 'calibDataset');
  const modelSha256 = await ports.hashFile(modelPath);
  const devices = spec.targets.devices === 'host' ? [] : await ports.listDevices();
  for (const d of devices)
    if (d.state === 'device' && d.backends.length === 0) d.backends = await ports.deviceBackends(d.serial);
  const plan = expandPlan(
    spec,
    { modelSha256, calibDir, ...(spec.calibLimit ? { calibLimit: spec.calibLimit } : {}) },
    devices,
  );
  const sweep: StoredSweep = {
    id: newSweepId(),
    createdAt: new Date().toISOString(),
    state: 'running',
    config: {
      spec,
      modelPath,
      dataDir,
      calibDir,
      modelSha256,
      variants: plan.variants,
      targets: plan.targets,
      builds: {},
      buildErrors: {},
    },
  };
  toSweepStore(opts.store).createSweep(sweep);
  opts.onCreated?.(sweep.id);
  return run(sweep.id, ports, opts, false);
}

/** Continue a stored sweep: runs already finished are kept, failed and missing ones are done now. */
export async function resumeSweep(sweepId: string, opts: RunSweepOptions): Promise<SweepResults> {
  const rec = toSweepStore(opts.store).getSweep(sweepId);
  if (!rec)
    throw new PqvError('SWEEP_NOT_FOUND', `No sweep with id ${sweepId}. List sweeps with \`pqv sweep --list\`.`, {
      sweepId,
    });
  if (activeSweeps.has(sweepId))
    throw new PqvError('INVALID_ARGUMENT', `Sweep ${sweepId} is already running.`, { sweepId });
  await mustExist(rec.config.modelPath, 'model', 'model');
  const ports: EnginePorts = { ...realPorts(), ...opts.ports };
  opts.onCreated?.(sweepId);
  return run(sweepId, ports, opts, true);
}

async function run(
  sweepId: string,
  ports: EnginePorts,
  opts: RunSweepOptions,
  resumed: boolean,
): Promise<SweepResults> {
  const store = toSweepStore(opts.store);
  const emit = (e: SweepEngineEvent): void => {
    try {
      opts.onEvent?.(e);
    } catch {
      /* a listener error must not break the sweep */
    }
  };
  activeSweeps.add(sweepId);
  store.updateSweep(sweepId, { state: 'running' });
  const cfg = store.getSweep(sweepId)?.config;
  if (cfg) store.updateSweep(sweepId, { config: { ...cfg, pid: process.pid } });
  let result: Awaited<ReturnType<typeof executeSweep>> | 'failed' = 'failed';
  let error: ReturnType<typeof sweepError> | undefined;
  try {
    result = await executeSweep({
      sweepId,
      store,
      ports,
      variantsDir: opts.variantsDir ?? defaultVariantsDir(),
      ...(opts.signal ? { signal: opts.signal } : {}),
      emit,
      resumed,
      devicePollMs: opts.devicePollMs ?? 1000,
      maxDeviceRetries: opts.maxDeviceRetries ?? 3,
    });
  } catch (e) {
    result = isCancelled(e) ? 'cancelled' : 'failed';
    if (!isCancelled(e)) error = sweepError(e);
  } finally {
    const patch: Parameters<SweepStore['updateSweep']>[1] = { state: result, finishedAt: new Date().toISOString() };
    if (error) patch.error = error;
    store.updateSweep(sweepId, patch);
    activeSweeps.delete(sweepId);
  }
  emit({ type: 'finished', sweepId, state: result, ...(error ? { error } : {}) });
  return summarizeSweep(store, sweepId);
}

/** Load and validate a sweep file's text (YAML or JSON). */
export async function loadSweepFile(path: string): Promise<{ spec: SweepSpec; baseDir: string }> {
  const { readFile } = await import('node:fs/promises');
  const YAML = await import('yaml');
  const abs = resolve(path);
  const text = await readFile(abs, 'utf8').catch(() => {
    throw new PqvError('FILE_NOT_FOUND', `Sweep config not found: ${abs}. Check the --config path.`, { path: abs });
  });
  let value: unknown;
  try {
    value = abs.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new PqvError(
      'SWEEP_CONFIG_INVALID',
      `${abs} is not valid ${abs.endsWith('.json') ? 'JSON' : 'YAML'}: ${msg}. Fix the syntax and run again.`,
      { field: '(root)' },
    );
  }
  return { spec: parseSweepSpec(value, abs), baseDir: dirname(abs) };
}
