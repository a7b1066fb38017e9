/**
 * The sweep pipeline over a stored sweep: builds variants on the host (from the cache when possible), evaluates
 * them, and benchmarks them on the host and on every phone concurrently, each phone from its own queue. Every
 * finished run is saved at once; runs already saved as `ok` are never redone. A phone that disappears has its run
 * marked failed, is waited for (bounded), and the run is retried when it returns.
 */
import { CancelledError, isCancelled, throwIfAborted } from '../../../common/errors.js';
import type { BenchOptions, BenchResult } from '../../../common/types/bench.js';
import type {
  PlannedTarget,
  PlannedVariant,
  SweepEngineEvent,
  SweepState,
  VariantBuild,
} from '../../../common/types/sweep.js';
import type { EnginePorts } from './engine-ports.js';
import { sweepError } from './hints.js';
import { HOST_PRIORITY, HostQueue, SweepProgress, TaskQueue } from './lanes.js';
import { runPhoneLane, type DeviceTask } from './phone-lane.js';
import { readCachedVariant, writeCachedVariant } from './variant-cache.js';
import { storedRunKey, type StoredRun, type SweepStore } from './store-port.js';

export interface ExecuteContext {
  sweepId: string;
  store: SweepStore;
  ports: EnginePorts;
  variantsDir: string;
  signal?: AbortSignal;
  emit: (e: SweepEngineEvent) => void;
  resumed: boolean;
  /** Poll interval while waiting for a device to return, ms. */
  devicePollMs: number;
  /** Attempts per run after the device went away and came back. */
  maxDeviceRetries: number;
}

const DEFAULT_DEVICE_WAIT_MS = 120_000;

/** Keep the repeat with the median p50. */
function medianRepeat(results: BenchResult[]): BenchResult {
  const sorted = [...results].sort((a, b) => a.p50Ms - b.p50Ms);
  const r = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!r) throw new CancelledError();
  return r;
}

/** Run the stored sweep to the end (or cancellation). Returns the final state. */
export async function executeSweep(ctx: ExecuteContext): Promise<SweepState> {
  const { store, ports, sweepId } = ctx;
  const rec = store.getSweep(sweepId);
  if (!rec) throw new Error(`sweep ${sweepId} vanished`);
  const cfg = rec.config;
  const inner = new AbortController();
  const onOuterAbort = (): void => inner.abort();
  ctx.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (ctx.signal?.aborted) inner.abort();
  const signal = inner.signal;
  const emit = ctx.emit;
  const bench = cfg.spec.bench;
  const benchOpts: BenchOptions = { runs: bench.runs, warmup: bench.warmup, threads: bench.threads ?? 0 };
  const repeats = bench.repeats ?? 1;
  const waitMs = cfg.spec.deviceWaitMs ?? DEFAULT_DEVICE_WAIT_MS;

  const okRuns = new Set(
    store
      .listRuns(sweepId)
      .filter((r) => r.status === 'ok')
      .map(storedRunKey),
  );
  const scheduled = new Set<string>();
  const now = (): string => new Date().toISOString();

  // Lanes.
  const hostTargets = cfg.targets.filter((t) => t.device === 'host');
  const phoneSerials = [...new Set(cfg.targets.filter((t) => t.device !== 'host').map((t) => t.device))];
  const hostQueue = new HostQueue();
  const phoneQueues = new Map(phoneSerials.map((s) => [s, new TaskQueue<DeviceTask>()]));
  const progress = new SweepProgress(cfg.variants.length, cfg.targets, emit);
  const { host: hostProgress, overall } = progress;
  const reportProgress = (device?: string): void => progress.report(device);

  const saveRun = (run: StoredRun, variant: PlannedVariant): void => {
    store.saveRun(sweepId, run);
    if (run.kind === 'bench') {
      emit({
        type: 'run-finished',
        label: variant.label,
        run: {
          variantKey: variant.key,
          device: run.device,
          backend: run.backend,
          status: run.status,
          ...(run.bench
            ? {
                p50Ms: run.bench.p50Ms,
                p90Ms: run.bench.p90Ms,
                meanMs: run.bench.meanMs,
                initMs: run.bench.initMs,
                peakRssBytes: run.bench.peakRssBytes,
              }
            : {}),
          ...(run.error ? { error: run.error } : {}),
        },
      });
    }
  };

  const benchWithRepeats = async (fn: () => Promise<BenchResult>): Promise<BenchResult> => {
    const results: BenchResult[] = [];
    for (let i = 0; i < repeats; i++) {
      throwIfAborted(signal);
      results.push(await fn());
    }
    return medianRepeat(results);
  };

  // ---- host lane tasks
  const evaluate = async (v: PlannedVariant, b: VariantBuild): Promise<void> => {
    const t0 = Date.now();
    emit({ type: 'stage', stage: 'evaluate', state: 'start', variant: v.label, device: 'host' });
    const base = {
      kind: 'eval' as const,
      variantSha256: b.sha256,
      device: 'host',
      backend: 'host' as const,
      startedAt: now(),
    };
    try {
      const r = await ports.evaluateVariant(
        b.path,
        { dataDir: cfg.dataDir, ...(cfg.spec.evalLimit ? { limit: cfg.spec.evalLimit } : {}) },
        { signal },
      );
      saveRun({ ...base, status: 'ok', eval: r, finishedAt: now() }, v);
      emit({ type: 'variant-evaluated', variant: v.label, key: v.key, top1: r.top1, top5: r.top5, n: r.n });
      emit({ type: 'stage', stage: 'evaluate', state: 'done', variant: v.label, device: 'host' });
    } catch (e) {
      if (isCancelled(e)) throw e;
      const error = sweepError(e);
      saveRun({ ...base, status: 'failed', error, finishedAt: now() }, v);
      emit({
        type: 'stage',
        stage: 'evaluate',
        state: 'failed',
        variant: v.label,
        device: 'host',
        detail: `${error.code}: ${error.message}`,
      });
    }
    hostProgress.finish(Date.now() - t0);
    reportProgress('host');
  };

  const hostBench = async (v: PlannedVariant, b: VariantBuild, t: PlannedTarget): Promise<void> => {
    const t0 = Date.now();
    emit({ type: 'stage', stage: 'benchmark', state: 'start', variant: v.label, device: 'host', backend: t.backend });
    const base = {
      kind: 'bench' as const,
      variantSha256: b.sha256,
      device: 'host',
      backend: t.backend,
      startedAt: now(),
    };
    try {
      const r = await benchWithRepeats(() => ports.benchHost(b.path, benchOpts, { signal }));
      saveRun({ ...base, status: 'ok', bench: r, finishedAt: now() }, v);
      emit({ type: 'stage', stage: 'benchmark', state: 'done', variant: v.label, device: 'host', backend: t.backend });
    } catch (e) {
      if (isCancelled(e)) throw e;
      saveRun({ ...base, status: 'failed', error: sweepError(e), finishedAt: now() }, v);
      emit({
        type: 'stage',
        stage: 'benchmark',
        state: 'failed',
        variant: v.label,
        device: 'host',
        backend: t.backend,
      });
    }
    hostProgress.finish(Date.now() - t0);
    overall.finish(0);
    reportProgress('host');
  };

  const schedule = (v: PlannedVariant, b: VariantBuild): void => {
    const evalKey = storedRunKey({ kind: 'eval', variantSha256: b.sha256, device: 'host', backend: 'host' });
    if (okRuns.has(evalKey) || scheduled.has(evalKey)) hostProgress.skip();
    else {
      scheduled.add(evalKey);
      hostQueue.push(HOST_PRIORITY.evaluate, () => evaluate(v, b));
    }
    for (const t of cfg.targets) {
      const key = storedRunKey({ kind: 'bench', variantSha256: b.sha256, device: t.device, backend: t.backend });
      const lane = progress.lane(t.device);
      if (okRuns.has(key) || scheduled.has(key)) {
        lane.skip();
        overall.skip();
        continue;
      }
      scheduled.add(key);
      if (t.device === 'host') hostQueue.push(HOST_PRIORITY.benchmark, () => hostBench(v, b, t));
      else phoneQueues.get(t.device)!.push({ variant: v, build: b, backend: t.backend });
    }
    reportProgress('host');
  };

  const build = async (v: PlannedVariant): Promise<void> => {
    const t0 = Date.now();
    emit({ type: 'stage', stage: 'compress', state: 'start', variant: v.label, device: 'host' });
    try {
      let cached = true;
      let entry: { path: string; sha256: string; bytes: number; params: number } | undefined;
      if (v.isBaseline) {
        const stats = await ports.modelStats(cfg.modelPath);
        entry = { path: cfg.modelPath, sha256: cfg.modelSha256, bytes: stats.bytes, params: stats.params };
      } else {
        entry = await readCachedVariant(ctx.variantsDir, v.key, ports.hashFile);
        if (!entry) {
          cached = false;
          const out = await ports.compressVariant(
            {
              modelPath: cfg.modelPath,
              variant: v,
              ...(cfg.calibDir ? { calibDir: cfg.calibDir } : {}),
              ...(cfg.spec.calibLimit ? { calibLimit: cfg.spec.calibLimit } : {}),
            },
            { signal },
          );
          throwIfAborted(signal);
          entry = await writeCachedVariant(ctx.variantsDir, v.key, v.label, out.bytes, out.params);
        }
      }
      const made = entry;
      const earlier = cfg.variants.slice(
        0,
        cfg.variants.findIndex((o) => o.key === v.key),
      );
      const twin = earlier.find((o) => cfg.builds[o.key]?.sha256 === made.sha256 && !cfg.builds[o.key]?.duplicateOf);
      const b: VariantBuild = { key: v.key, label: v.label, ...made, ...(twin ? { duplicateOf: twin.label } : {}) };
      cfg.builds[v.key] = b;
      delete cfg.buildErrors[v.key];
      store.saveVariant(b, { path: cfg.modelPath, sha256: cfg.modelSha256 }, v);
      store.updateSweep(sweepId, { config: cfg });
      emit({ type: 'variant-built', build: b, cached });
      emit({
        type: 'stage',
        stage: 'compress',
        state: 'done',
        variant: v.label,
        device: 'host',
        ...(cached ? { detail: 'cached' } : {}),
      });
      hostProgress.finish(Date.now() - t0);
      schedule(v, b);
    } catch (e) {
      if (isCancelled(e)) throw e;
      const error = sweepError(e);
      cfg.buildErrors[v.key] = error;
      store.updateSweep(sweepId, { config: cfg });
      emit({ type: 'variant-failed', variant: v.label, key: v.key, error });
      emit({
        type: 'stage',
        stage: 'compress',
        state: 'failed',
        variant: v.label,
        device: 'host',
        detail: `${error.code}: ${error.message}`,
      });
      // Nothing else can run for this variant.
      hostProgress.finish(Date.now() - t0);
      for (let i = 0; i < 1 + hostTargets.length; i++) hostProgress.skip();
      for (const t of cfg.targets) {
        overall.skip();
        if (t.device !== 'host') progress.lane(t.device).skip();
      }
      reportProgress('host');
    }
  };

  // ---- phone lanes
  const phoneLane = (serial: string): Promise<void> =>
    runPhoneLane({
      serial,
      queue: phoneQueues.get(serial)!,
      ports,
      signal,
      emit,
      saveRun,
      withRepeats: benchWithRepeats,
      benchOpts,
      waitMs,
      pollMs: ctx.devicePollMs,
      maxRetries: ctx.maxDeviceRetries,
      onTaskDone: (ms) => {
        progress.lane(serial).finish(ms);
        overall.finish(0);
        reportProgress(serial);
      },
    });

  const hostLane = async (): Promise<void> => {
    for (const v of cfg.variants) hostQueue.push(HOST_PRIORITY.compress, () => build(v));
    try {
      for (let t = hostQueue.take(); t; t = hostQueue.take()) {
        throwIfAborted(signal);
        await t.run();
      }
    } finally {
      for (const q of phoneQueues.values()) q.close();
    }
  };

  emit({
    type: 'started',
    sweepId,
    resumed: ctx.resumed,
    variants: cfg.variants.length,
    targets: cfg.targets,
    totalRuns: overall.total,
    doneRuns: [...okRuns].filter((k) => k.startsWith('bench|')).length,
  });
  let failure: unknown;
  const lanes = [hostLane(), ...phoneSerials.map((s) => phoneLane(s))].map((p) =>
    p.catch((e: unknown) => {
      if (!isCancelled(e) && failure === undefined) failure = e;
      inner.abort();
    }),
  );
  await Promise.all(lanes);
  ctx.signal?.removeEventListener('abort', onOuterAbort);
  if (failure !== undefined) throw failure;
  if (ctx.signal?.aborted) return 'cancelled';
  return 'done';
}
