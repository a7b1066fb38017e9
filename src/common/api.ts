/**
 * The one typed API contract between the UI and the engine, used by every shell (Electron IPC and browser-mode
 * HTTP/WebSocket). `ApiMethods` maps each method name to its request and response types; `ApiEvent` is the event
 * stream (job progress, device hot-plug, sweep events). Request validation schemas live in `api-schemas.ts`.
 *
 * Long operations are jobs: the request may carry a client-made `jobId`; progress events are tagged with it and
 * `job.cancel {jobId}` aborts the job.
 */
import type { SerializedError } from './errors.js';
import type { ProgressEvent } from './progress.js';
import type { Backend, BenchResult } from './types/bench.js';
import type { DeviceInfo } from './types/devices.js';
import type { EvalResult } from './types/evaluate.js';
import type { ModelSummary } from './types/model.js';
import type { RunnersInspection, SettingsInfo, SettingsUpdate } from './types/settings.js';
import type { SweepStatus as StoreSweepStatus } from './types/store.js';
import type { SweepEngineEvent, SweepResults, SweepSpec } from './types/sweep.js';

export type { Backend, BenchResult, DeviceInfo, EvalResult, ModelSummary, ProgressEvent, SerializedError };
export type { StoreSweepStatus, SweepEngineEvent, SweepResults, SweepSpec };
export type { RunnersInspection, SettingsInfo, SettingsUpdate };

/** Which shell serves the API. */
export type ShellMode = 'electron' | 'browser' | 'cli';

/** Facts about this computer, shown on the Devices view and in reports. */
export interface HostInfo {
  hostname: string;
  platform: string;
  arch: string;
  osRelease: string;
  cpuModel: string;
  cpuCount: number;
  totalMemBytes: number;
}

export interface AppInfo {
  name: string;
  version: string;
  mode: ShellMode;
  /** Folder holding the results database, uploads, variants and reports. */
  dataDir: string;
  host: HostInfo;
  /** The bundled demo: model and its test/calibration image folders. */
  demo: { modelPath: string; dataDir: string; calibDir: string };
  /** Which optional engine parts are available (missing ones are shown as such in the UI). */
  features: { devices: boolean; sweep: boolean; store: boolean; pdf: boolean };
}

/** A model the user opened before. */
export interface RecentModel {
  path: string;
  name: string;
  bytes: number;
  /** ISO date of the last use. */
  lastUsed: string;
}

/** Every long operation may carry a client-made job id. */
export interface JobRequest {
  jobId?: string;
}

export interface BenchRunRequest extends JobRequest {
  modelPath: string;
  /** `host` or an adb serial. */
  device: string;
  backend: Backend;
  runs: number;
  warmup: number;
  threads: number;
}

export interface EvalRunRequest extends JobRequest {
  modelPath: string;
  dataDir: string;
  limit?: number;
}

export type RunStatus = 'ok' | 'failed' | 'cancelled';

/** One stored benchmark or evaluation run. */
export interface RunEntry {
  id: string;
  kind: 'bench' | 'eval';
  /** ISO date. */
  createdAt: string;
  modelPath: string;
  modelName: string;
  /** Variant label when the run belongs to a sweep (e.g. `baseline`, `prune30-int8`). */
  variant?: string;
  sweepId?: string;
  device: string;
  backend?: Backend;
  status: RunStatus;
  bench?: BenchResult;
  eval?: EvalResult;
  error?: SerializedError;
}

export interface ResultsListRequest {
  kind?: 'bench' | 'eval';
  sweepId?: string;
  limit?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Sweeps (the sweep file, results and live events are the sweep pipeline's contract in `types/sweep.ts`)

/** A ready-made sweep the UI offers with one click. */
export interface SweepPreset {
  id: string;
  name: string;
  description: string;
  config: SweepSpec;
}

/** One sweep in the history list. */
export interface SweepSummary {
  id: string;
  name: string;
  status: StoreSweepStatus;
  createdAt: string;
  finishedAt?: string;
  modelPath?: string;
}

/** Everything about one sweep: its results plus the facts of the devices it ran on. */
export interface SweepDetail extends SweepResults {
  devices: DeviceInfo[];
}

// ---------------------------------------------------------------------------------------------------------------
// Reports

export interface ReportRequest {
  /** The sweep to report on; absent = the latest sweep, or the stored host runs when there is none. */
  sweepId?: string;
}

export interface ReportFile {
  /** Absolute path of the written file (inside the data folder). */
  path: string;
  fileName: string;
  bytes: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Methods

type Empty = Record<string, never>;

/** Method name → request/response types. */
export interface ApiMethods {
  'app.info': { request: Empty; response: AppInfo };
  'model.inspect': { request: { path: string }; response: ModelSummary };
  'model.list': { request: Empty; response: RecentModel[] };
  'devices.list': { request: Empty; response: DeviceInfo[] };
  'bench.run': { request: BenchRunRequest; response: RunEntry };
  'eval.run': { request: EvalRunRequest; response: RunEntry };
  'results.list': { request: ResultsListRequest; response: RunEntry[] };
  'sweep.presets': { request: Empty; response: SweepPreset[] };
  'sweep.start': { request: { config: SweepSpec } & JobRequest; response: { sweepId: string } };
  'sweep.resume': { request: { sweepId: string } & JobRequest; response: { sweepId: string } };
  'sweep.list': { request: Empty; response: SweepSummary[] };
  'sweep.get': { request: { sweepId: string }; response: SweepDetail };
  'sweep.cancel': { request: { sweepId: string }; response: { cancelled: boolean } };
  'report.pdf': { request: ReportRequest; response: ReportFile };
  'report.csv': { request: ReportRequest; response: ReportFile };
  'report.json': { request: ReportRequest; response: ReportFile };
  'job.cancel': { request: { jobId: string }; response: { cancelled: boolean } };
  /** The settings file and the values in effect (env vars override it). */
  'settings.get': { request: Empty; response: SettingsInfo };
  /** Change settings (`null` clears a field); returns the new state. */
  'settings.set': { request: SettingsUpdate; response: SettingsInfo };
  /** Check a runners folder (default: the one in effect). */
  'runners.inspect': { request: { dir?: string }; response: RunnersInspection };
}

export type ApiMethod = keyof ApiMethods;
export type ApiRequest<M extends ApiMethod> = ApiMethods[M]['request'];
export type ApiResponse<M extends ApiMethod> = ApiMethods[M]['response'];

/** Wire form of a call result (HTTP body, IPC reply). */
export type ApiResult<T> = { ok: true; data: T } | { ok: false; error: SerializedError };

// ---------------------------------------------------------------------------------------------------------------
// Events

export type ApiEvent =
  | { type: 'job.progress'; jobId: string; progress: ProgressEvent }
  | { type: 'job.finished'; jobId: string; status: RunStatus; error?: SerializedError }
  | { type: 'devices.changed'; devices: DeviceInfo[] }
  | { type: 'sweep.event'; sweepId: string; event: SweepEngineEvent };

export type ApiEventListener = (event: ApiEvent) => void;

/** What the renderer talks to. Implemented by the preload bridge (Electron) and the HTTP/WS client (browser). */
export interface ApiClient {
  readonly mode: ShellMode;
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  /** Subscribe to the event stream; returns the unsubscribe function. */
  onEvent(listener: ApiEventListener): () => void;
  /** Electron: native open dialog. Resolves to the chosen path or null. */
  pickModelFile?(): Promise<string | null>;
  /** Browser mode: upload a model file to the data folder. Resolves to its stored path. */
  uploadModel?(file: File): Promise<string>;
  /** Open/download a written report file (browser: download link; Electron: reveal in folder). */
  openFile?(file: ReportFile): Promise<void>;
}

/** Preload bridge shape exposed as `window.pqv` by the Electron preload. */
export interface PreloadBridge {
  invoke(method: string, request: unknown): Promise<ApiResult<unknown>>;
  onEvent(listener: ApiEventListener): () => void;
  pickModelFile(): Promise<string | null>;
  showItemInFolder(path: string): Promise<void>;
}
