/**
 * One phone's lane of a running sweep: benchmarks the variants queued for it, one at a time. When the phone goes
 * away the run is saved as failed (marked for retry), the phone is waited for (bounded, by polling the device
 * list), and the run is retried when it returns; if it does not, its remaining runs fail fast with a hint.
 */
import { PqvError, isCancelled } from '../../../common/errors.js';
import type { Backend, BenchOptions, BenchResult } from '../../../common/types/bench.js';
import type { PlannedVariant, SweepEngineEvent, SweepError, VariantBuild } from '../../../common/types/sweep.js';
import type { EnginePorts } from './engine-ports.js';
import { DEVICE_GONE_CODES, sweepError } from './hints.js';
import { sleep, type TaskQueue } from './lanes.js';
import type { StoredRun } from './store-port.js';

/** A benchmark waiting in a phone's queue. */
export interface DeviceTask {
  variant: PlannedVariant;
  build: VariantBuild;
  backend: Backend;
}

export interface PhoneLaneDeps {
  serial: string;
  queue: TaskQueue<DeviceTask>;
  ports: Pick<EnginePorts, 'benchDevice' | 'listDevices'>;
  signal: AbortSignal;
  emit: (e: SweepEngineEvent) => void;
  saveRun: (run: StoredRun, variant: PlannedVariant) => void;
  /** Runs `fn` once per repeat and keeps the median result. */
  withRepeats: (fn: () => Promise<BenchResult>) => Promise<BenchResult>;
  benchOpts: BenchOptions;
  /** How long a vanished phone is waited for, ms. */
  waitMs: number;
  pollMs: number;
  maxRetries: number;
  /** Called after each task with its duration. */
  onTaskDone: (ms: number) => void;
}

const now = (): string => new Date().toISOString();

export async function runPhoneLane(d: PhoneLaneDeps): Promise<void> {
  const { serial, emit, signal } = d;
  const ready = async (): Promise<boolean> =>
    (await d.ports.listDevices().catch(() => [])).some((x) => x.serial === serial && x.state === 'device');
  const waitForDevice = async (): Promise<boolean> => {
    const deadline = Date.now() + d.waitMs;
    emit({ type: 'device-lost', device: serial, waitMs: d.waitMs });
    for (;;) {
      if (await ready()) {
        emit({ type: 'device-back', device: serial });
        return true;
      }
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(d.pollMs, Math.max(0, deadline - Date.now())), signal);
    }
  };

  let gone = false;
  for (;;) {
    const task = await d.queue.next(signal);
    if (!task) return;
    const { variant: v, build: b, backend } = task;
    const t0 = Date.now();
    const base = { kind: 'bench' as const, variantSha256: b.sha256, device: serial, backend };
    const stage = (state: 'start' | 'done' | 'failed', detail?: string): void =>
      emit({
        type: 'stage',
        stage: 'benchmark',
        state,
        variant: v.label,
        device: serial,
        backend,
        ...(detail ? { detail } : {}),
      });
    if (gone) gone = !(await ready());
    for (let attempts = 0; ; attempts++) {
      const startedAt = now();
      if (gone) {
        const lost = new PqvError(
          'DEVICE_DISCONNECTED',
          `${serial} did not come back within ${Math.round(d.waitMs / 1000)} s.`,
          { serial },
        );
        const error: SweepError = {
          ...sweepError(lost),
          hint: 'Reconnect the phone, then resume the sweep (`pqv sweep --resume ID`).',
        };
        d.saveRun({ ...base, status: 'failed', error, startedAt, finishedAt: now() }, v);
        break;
      }
      let pushing = false;
      const onProgress = (p: { stage: string }): void => {
        // One event when a push starts and one when it ends (the device layer reports every chunk).
        if ((p.stage === 'push') === pushing) return;
        pushing = !pushing;
        emit({
          type: 'stage',
          stage: 'push',
          state: pushing ? 'start' : 'done',
          variant: v.label,
          device: serial,
          backend,
        });
      };
      stage('start');
      try {
        const r = await d.withRepeats(() =>
          d.ports.benchDevice(serial, b.path, backend, d.benchOpts, { signal, onProgress }),
        );
        d.saveRun({ ...base, status: 'ok', bench: r, startedAt, finishedAt: now() }, v);
        stage('done');
        break;
      } catch (e) {
        if (isCancelled(e)) throw e;
        const error = sweepError(e);
        const retry = DEVICE_GONE_CODES.has(error.code) && attempts < d.maxRetries;
        const marked: SweepError = retry
          ? { ...error, hint: 'The phone went away; this run is retried when it comes back.' }
          : error;
        d.saveRun({ ...base, status: 'failed', error: marked, startedAt, finishedAt: now() }, v);
        stage('failed', `${error.code}: ${error.message}`);
        if (!retry) break;
        if (!(await waitForDevice())) gone = true;
      }
    }
    d.onTaskDone(Date.now() - t0);
  }
}
