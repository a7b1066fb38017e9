/**
 * Main UI state: the API client, app info, the current model, devices (live), stored runs and running jobs.
 */
import { defineStore } from 'pinia';
import { markRaw } from 'vue';
import type {
  ApiClient,
  ApiEvent,
  AppInfo,
  BenchRunRequest,
  DeviceInfo,
  EvalRunRequest,
  ModelSummary,
  ProgressEvent,
  RecentModel,
  ReportFile,
  RunEntry,
  SerializedError,
} from '../../common/api';
import { serializeError } from '../../common/errors';
import { newJobId } from '../util/format';

export type ViewName = 'model' | 'devices' | 'bench' | 'sweep' | 'settings';

export interface JobState {
  id: string;
  kind: 'bench' | 'eval' | 'report';
  label: string;
  status: 'running' | 'ok' | 'failed' | 'cancelled';
  progress?: ProgressEvent;
  error?: SerializedError;
  /** One-line outcome shown when done (e.g. `p50 2.10 ms · p90 2.40 ms`). */
  summary?: string;
}

type EventHandler = (e: ApiEvent) => void;

export const useAppStore = defineStore('app', {
  state: () => ({
    client: null as ApiClient | null,
    info: null as AppInfo | null,
    fatal: null as string | null,
    view: 'model' as ViewName,
    modelPath: '',
    summary: null as ModelSummary | null,
    summaryError: null as SerializedError | null,
    inspecting: false,
    recent: [] as RecentModel[],
    devices: [] as DeviceInfo[],
    runs: [] as RunEntry[],
    jobs: {} as Record<string, JobState>,
    lastReport: null as ReportFile | null,
    reportError: null as SerializedError | null,
    reportBusy: '' as '' | 'pdf' | 'csv' | 'json',
    handlers: [] as EventHandler[],
  }),
  getters: {
    runningJobs: (s) => Object.values(s.jobs).filter((j) => j.status === 'running'),
  },
  actions: {
    async init(client: ApiClient | null): Promise<void> {
      if (!client) {
        this.fatal =
          'This page needs the access token. Open the address printed by PQV Studio when it started (it ends with ?token=…).';
        return;
      }
      this.client = markRaw(client);
      client.onEvent((e) => this.onEvent(e));
      try {
        this.info = await client.call('app.info', {});
      } catch (e) {
        this.fatal = serializeError(e).message;
        return;
      }
      const hash = window.location.hash.replace('#', '') as ViewName;
      if (['model', 'devices', 'bench', 'sweep', 'settings'].includes(hash)) this.view = hash;
      await Promise.all([this.refreshRecent(), this.refreshDevices(), this.refreshRuns()]);
    },
    api(): ApiClient {
      if (!this.client) throw new Error('not connected');
      return this.client;
    },
    go(view: ViewName): void {
      this.view = view;
      history.replaceState(null, '', `${window.location.pathname}${window.location.search}#${view}`);
    },
    onEvent(e: ApiEvent): void {
      if (e.type === 'devices.changed') this.devices = e.devices;
      if (e.type === 'job.progress') {
        const j = this.jobs[e.jobId];
        if (j) j.progress = e.progress;
      }
      for (const h of this.handlers) h(e);
    },
    subscribe(handler: EventHandler): void {
      this.handlers.push(markRaw(handler));
    },
    async refreshRecent(): Promise<void> {
      this.recent = await this.api().call('model.list', {});
    },
    async refreshDevices(): Promise<void> {
      this.devices = await this.api().call('devices.list', {});
    },
    async refreshRuns(): Promise<void> {
      this.runs = await this.api().call('results.list', { limit: 500 });
    },
    async inspect(path: string): Promise<void> {
      this.modelPath = path;
      this.inspecting = true;
      this.summaryError = null;
      try {
        this.summary = await this.api().call('model.inspect', { path });
        await this.refreshRecent();
      } catch (e) {
        this.summary = null;
        this.summaryError = serializeError(e);
      } finally {
        this.inspecting = false;
      }
    },
    async loadDemo(): Promise<void> {
      if (this.info) await this.inspect(this.info.demo.modelPath);
    },
    async upload(file: File): Promise<void> {
      const client = this.api();
      if (!client.uploadModel) return;
      this.inspecting = true;
      this.summaryError = null;
      try {
        const path = await client.uploadModel(file);
        await this.inspect(path);
      } catch (e) {
        this.summaryError = serializeError(e);
        this.inspecting = false;
      }
    },
    async runJob<T>(
      kind: JobState['kind'],
      label: string,
      body: (jobId: string) => Promise<T>,
      summarize?: (out: T) => string,
    ): Promise<T | null> {
      const id = newJobId(kind);
      this.jobs[id] = { id, kind, label, status: 'running' };
      const job = this.jobs[id]!;
      try {
        const out = await body(id);
        job.status = 'ok';
        if (summarize) job.summary = summarize(out);
        return out;
      } catch (e) {
        const err = serializeError(e);
        job.status = err.code === 'CANCELLED' ? 'cancelled' : 'failed';
        job.error = err;
        return null;
      } finally {
        await this.refreshRuns().catch(() => undefined);
      }
    },
    runBench(req: Omit<BenchRunRequest, 'jobId'>) {
      const label = `Benchmark ${req.modelPath.split(/[\\/]/).pop()} on ${req.device}/${req.backend}`;
      return this.runJob(
        'bench',
        label,
        (jobId) => this.api().call('bench.run', { ...req, jobId }),
        (r) =>
          r.bench
            ? `p50 ${r.bench.p50Ms.toFixed(2)} ms · p90 ${r.bench.p90Ms.toFixed(2)} ms · init ${r.bench.initMs.toFixed(0)} ms`
            : '',
      );
    },
    runEval(req: Omit<EvalRunRequest, 'jobId'>) {
      const label = `Accuracy of ${req.modelPath.split(/[\\/]/).pop()}`;
      return this.runJob(
        'eval',
        label,
        (jobId) => this.api().call('eval.run', { ...req, jobId }),
        (r) =>
          r.eval
            ? `top-1 ${(r.eval.top1 * 100).toFixed(2)}% · top-5 ${(r.eval.top5 * 100).toFixed(2)}% on ${r.eval.n} images`
            : '',
      );
    },
    async cancelJob(id: string): Promise<void> {
      await this.api().call('job.cancel', { jobId: id });
    },
    dismissJob(id: string): void {
      delete this.jobs[id];
    },
    async exportReport(kind: 'pdf' | 'csv' | 'json', sweepId?: string): Promise<void> {
      this.reportBusy = kind;
      this.reportError = null;
      try {
        const req = sweepId ? { sweepId } : {};
        const file =
          kind === 'pdf'
            ? await this.api().call('report.pdf', req)
            : kind === 'csv'
              ? await this.api().call('report.csv', req)
              : await this.api().call('report.json', req);
        this.lastReport = file;
        await this.api().openFile?.(file);
      } catch (e) {
        this.reportError = serializeError(e);
      } finally {
        this.reportBusy = '';
      }
    },
  },
});
