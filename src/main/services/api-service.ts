/**
 * `ApiService`: implements the API contract (`src/common/api.ts`) over the engine. It is the single dispatcher used by
 * Electron IPC and the browser-mode HTTP/WS server: `dispatch(method, rawRequest)` validates the request with its zod
 * schema, runs the handler and returns the response; `onEvent` streams job progress, device and sweep events.
 */
import { writeFileSync, statSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import os from 'node:os';
import { parseApiRequest, requireApiMethod } from '../../common/api-schemas.js';
import { PqvError, isCancelled, serializeError } from '../../common/errors.js';
import type {
  ApiEvent,
  ApiEventListener,
  ApiMethod,
  ApiRequest,
  ApiResponse,
  AppInfo,
  ReportFile,
  ReportRequest,
  RunEntry,
  SettingsInfo,
  SettingsUpdate,
  ShellMode,
  SweepDetail,
  SweepEngineEvent,
} from '../../common/api.js';
import { sweepPresets } from './presets.js';
import type { Engine } from './engine-adapter.js';
import { JobRegistry } from './jobs.js';
import { RecentModels } from './recent-models.js';
import { appVersion, dataDir, dataSubdir, demoPaths } from './paths.js';
import { buildReportData, type ReportData } from '../engine/report/data.js';
import { renderReportHtml } from '../engine/report/html.js';
import { exportPdf as exportPdfWithChromium } from '../engine/report/pdf.js';
import { runsToCsv, runsToJson } from '../engine/report/tables.js';
import { updateSettings } from '../engine/store/settings.js';
import { settingsInfo } from '../engine/devices/device-settings.js';
import { inspectRunners } from '../engine/devices/runner-check.js';

export interface ApiServiceOptions {
  mode: ShellMode;
  /** Writes `html` as a PDF to `outPath`. Default: headless Chromium through playwright-core. */
  exportPdf?: (html: string, outPath: string) => Promise<void>;
}

type Handlers = { [M in ApiMethod]: (req: ApiRequest<M>) => Promise<ApiResponse<M>> };

export class ApiService {
  private readonly listeners = new Set<ApiEventListener>();
  private readonly jobs = new JobRegistry();
  private readonly sweepJobs = new Map<string, string>();
  private readonly recent: RecentModels;
  private stopDeviceWatch: (() => void) | null = null;
  private readonly handlers: Handlers;

  constructor(
    private readonly engine: Engine,
    private readonly options: ApiServiceOptions,
  ) {
    this.recent = new RecentModels(dataDir());
    this.handlers = this.makeHandlers();
  }

  /** Validate and run one call. Throws PqvError/CancelledError; the shell serializes them. */
  async dispatch(method: string, raw: unknown): Promise<unknown> {
    const m = requireApiMethod(method);
    const req = parseApiRequest(m, raw);
    const handler = this.handlers[m] as (r: ApiRequest<typeof m>) => Promise<ApiResponse<typeof m>>;
    return handler(req);
  }

  /** Typed in-process call (tests, CLI). */
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
    return this.dispatch(method, request) as Promise<ApiResponse<M>>;
  }

  /** Subscribe to events. The first subscriber starts the device watcher. */
  onEvent(listener: ApiEventListener): () => void {
    this.listeners.add(listener);
    if (!this.stopDeviceWatch) {
      this.stopDeviceWatch = this.engine.watchDevices((devices) => this.emit({ type: 'devices.changed', devices }));
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** After the adb address changed: watch the new server, and send its device list once. */
  private restartDeviceWatch(): void {
    if (this.stopDeviceWatch) {
      this.stopDeviceWatch();
      this.stopDeviceWatch = this.engine.watchDevices((devices) => this.emit({ type: 'devices.changed', devices }));
    }
    this.engine
      .listDevices()
      .then((devices) => this.emit({ type: 'devices.changed', devices }))
      .catch(() => undefined);
  }

  /** Save a settings change; a new adb address takes effect at once. */
  private setSettings(update: SettingsUpdate): SettingsInfo {
    let before: SettingsInfo | null = null;
    try {
      before = settingsInfo();
    } catch {
      /* a broken settings file is being replaced */
    }
    updateSettings(update);
    const after = settingsInfo();
    const adb = (i: SettingsInfo | null): string =>
      i ? `${i.effective.adbHost.value}:${i.effective.adbPort.value}` : '';
    if (adb(before) !== adb(after)) this.restartDeviceWatch();
    return after;
  }

  /** Abort running jobs and stop watchers. */
  close(): void {
    this.jobs.cancelAll();
    this.stopDeviceWatch?.();
    this.stopDeviceWatch = null;
  }

  private emit(event: ApiEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        /* a broken listener must not break the job */
      }
    }
  }

  /** Run `body` as a job: progress events tagged with the job id, a finished event at the end. */
  private async job<T>(
    jobId: string | undefined,
    body: (signal: AbortSignal, jobId: string) => Promise<T>,
  ): Promise<T> {
    const j = this.jobs.begin(jobId);
    try {
      const out = await body(j.signal, j.jobId);
      this.emit({ type: 'job.finished', jobId: j.jobId, status: 'ok' });
      return out;
    } catch (e) {
      const error = serializeError(e);
      this.emit({ type: 'job.finished', jobId: j.jobId, status: isCancelled(e) ? 'cancelled' : 'failed', error });
      throw e;
    } finally {
      j.end();
    }
  }

  private progress(jobId: string) {
    return (progress: import('../../common/progress.js').ProgressEvent): void =>
      this.emit({ type: 'job.progress', jobId, progress });
  }

  private appInfo(): AppInfo {
    const cpus = os.cpus();
    return {
      name: 'PQV Studio',
      version: appVersion(),
      mode: this.options.mode,
      dataDir: dataDir(),
      host: {
        hostname: os.hostname(),
        platform: os.platform(),
        arch: os.arch(),
        osRelease: os.release(),
        cpuModel: cpus[0]?.model.trim() ?? 'unknown CPU',
        cpuCount: cpus.length,
        totalMemBytes: os.totalmem(),
      },
      demo: demoPaths(),
      features: { ...this.engine.features, pdf: true },
    };
  }

  /** Record a finished or failed run in the store, then rethrow failures. */
  private async recordRun(
    base: Omit<RunEntry, 'id' | 'status' | 'createdAt'>,
    run: () => Promise<Pick<RunEntry, 'bench' | 'eval'>>,
  ): Promise<RunEntry> {
    const createdAt = new Date().toISOString();
    try {
      const out = await run();
      return await this.engine.store.saveRun({ ...base, ...out, createdAt, status: 'ok' });
    } catch (e) {
      await this.engine.store.saveRun({
        ...base,
        createdAt,
        status: isCancelled(e) ? 'cancelled' : 'failed',
        error: serializeError(e),
      });
      throw e;
    }
  }

  private sweeps() {
    if (!this.engine.sweeps) {
      throw new PqvError('INTERNAL', 'Sweeps are not available in this build of PQV Studio.');
    }
    return this.engine.sweeps;
  }

  /** A sweep's results plus the facts of its devices (live when connected, else as last seen). */
  private async sweepDetail(sweepId: string): Promise<SweepDetail> {
    const results = await this.sweeps().get(sweepId);
    const serials = new Set(results.targets.map((t) => t.device));
    const live = await this.engine.listDevices();
    const known = this.engine.knownDevices();
    const devices = [...serials].map(
      (s) =>
        live.find((d) => d.serial === s) ??
        known.find((d) => d.serial === s) ?? { serial: s, state: 'unknown' as const },
    );
    return { ...results, devices };
  }

  /** Everything a report shows, for `req` (a sweep, or the stored runs outside sweeps). */
  async reportData(req: ReportRequest): Promise<ReportData> {
    let sweep: SweepDetail | undefined;
    let runs: RunEntry[];
    if (req.sweepId) {
      sweep = await this.sweepDetail(req.sweepId);
      runs = this.engine.store.listRuns({ sweepId: req.sweepId });
    } else {
      runs = this.engine.store.listRuns({}).filter((r) => !r.sweepId);
      if (runs.length === 0 && this.engine.sweeps) {
        const latest = (await this.engine.sweeps.list())[0];
        if (latest) {
          sweep = await this.sweepDetail(latest.id);
          runs = this.engine.store.listRuns({ sweepId: latest.id });
        }
      }
    }
    const devices = sweep?.devices ?? (await this.engine.listDevices());
    return buildReportData({ runs, sweep, devices, host: this.appInfo().host, generatedAt: new Date() });
  }

  private reportPath(req: ReportRequest, ext: string): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const name = `pqv-report-${req.sweepId ? `${req.sweepId}-` : ''}${stamp}.${ext}`;
    return join(dataSubdir('reports'), name);
  }

  private fileInfo(path: string): ReportFile {
    return { path, fileName: basename(path), bytes: statSync(path).size };
  }

  private makeHandlers(): Handlers {
    const handlers: Handlers = {
      'app.info': async () => this.appInfo(),
      'model.inspect': async ({ path }) => {
        if (!existsSync(path))
          throw new PqvError('FILE_NOT_FOUND', `No file at ${path}. Check the path or upload the model.`);
        const summary = await this.engine.inspectModel(path);
        this.recent.touch(path);
        return summary;
      },
      'model.list': async () => this.recent.list(),
      'devices.list': async () => this.engine.listDevices(),
      'bench.run': (req) =>
        this.job(req.jobId, (signal, jobId) =>
          this.recordRun(
            {
              kind: 'bench',
              modelPath: req.modelPath,
              modelName: basename(req.modelPath),
              device: req.device,
              backend: req.backend,
            },
            async () => {
              const opts = { runs: req.runs, warmup: req.warmup, threads: req.threads };
              const op = { signal, onProgress: this.progress(jobId) };
              const bench =
                req.device === 'host'
                  ? await this.engine.benchOnHost(req.modelPath, opts, op)
                  : await this.engine.benchOnDevice(req.device, req.modelPath, req.backend, opts, op);
              return { bench };
            },
          ),
        ),
      'eval.run': (req) =>
        this.job(req.jobId, (signal, jobId) =>
          this.recordRun(
            { kind: 'eval', modelPath: req.modelPath, modelName: basename(req.modelPath), device: 'host' },
            async () => ({
              eval: await this.engine.evaluateModel(
                req.modelPath,
                { dataDir: req.dataDir, limit: req.limit },
                { signal, onProgress: this.progress(jobId) },
              ),
            }),
          ),
        ),
      'results.list': async (req) => this.engine.store.listRuns(req),
      'sweep.presets': async () => sweepPresets(demoPaths()),
      'sweep.start': async ({ config, jobId }) => this.startSweep(jobId, (opts) => this.sweeps().start(config, opts)),
      'sweep.resume': async ({ sweepId, jobId }) =>
        this.startSweep(jobId, (opts) => this.sweeps().resume(sweepId, opts)),
      'sweep.list': async () => (this.engine.sweeps ? this.engine.sweeps.list() : []),
      'sweep.get': async ({ sweepId }) => this.sweepDetail(sweepId),
      'sweep.cancel': async ({ sweepId }) => {
        const jobId = this.sweepJobs.get(sweepId);
        return { cancelled: jobId ? this.jobs.cancel(jobId) : false };
      },
      'report.pdf': async (req) => {
        const html = renderReportHtml(await this.reportData(req));
        const out = this.reportPath(req, 'pdf');
        await (this.options.exportPdf ?? exportPdfWithChromium)(html, out);
        return this.fileInfo(out);
      },
      'report.csv': async (req) => {
        const data = await this.reportData(req);
        const out = this.reportPath(req, 'csv');
        writeFileSync(out, runsToCsv(data.runs));
        return this.fileInfo(out);
      },
      'report.json': async (req) => {
        const data = await this.reportData(req);
        const out = this.reportPath(req, 'json');
        writeFileSync(out, runsToJson(data));
        return this.fileInfo(out);
      },
      'job.cancel': async ({ jobId }) => ({ cancelled: this.jobs.cancel(jobId) }),
      'settings.get': async () => settingsInfo(),
      'settings.set': async (req) => this.setSettings(req),
      'runners.inspect': async ({ dir }) => inspectRunners(dir ?? settingsInfo().effective.runnersDir.value),
    };
    return handlers;
  }

  /** Start or resume a sweep in the background; its events are forwarded as `sweep.event`. */
  private async startSweep(
    jobId: string | undefined,
    start: (opts: { signal: AbortSignal; onEvent: (e: SweepEngineEvent) => void }) => Promise<{
      sweepId: string;
      done: Promise<void>;
    }>,
  ): Promise<{ sweepId: string }> {
    const j = this.jobs.begin(jobId);
    let sweepId = '';
    const pending: SweepEngineEvent[] = [];
    try {
      const started = await start({
        signal: j.signal,
        onEvent: (event) => (sweepId ? this.emit({ type: 'sweep.event', sweepId, event }) : pending.push(event)),
      });
      sweepId = started.sweepId;
      this.sweepJobs.set(sweepId, j.jobId);
      for (const event of pending) this.emit({ type: 'sweep.event', sweepId, event });
      started.done
        .then(() => this.emit({ type: 'job.finished', jobId: j.jobId, status: j.signal.aborted ? 'cancelled' : 'ok' }))
        .catch((e: unknown) =>
          this.emit({
            type: 'job.finished',
            jobId: j.jobId,
            status: isCancelled(e) ? 'cancelled' : 'failed',
            error: serializeError(e),
          }),
        )
        .finally(() => {
          j.end();
          this.sweepJobs.delete(sweepId);
        });
      return { sweepId };
    } catch (e) {
      j.end();
      throw e;
    }
  }
}

/** Build the service over the engine modules of this build. */
export async function createApiService(options: ApiServiceOptions): Promise<ApiService> {
  const { loadEngine } = await import('./engine-adapter.js');
  return new ApiService(await loadEngine(), options);
}
