/**
 * Sweep UI state: presets, history, the open sweep's results, and live progress from sweep events
 * (per stage, overall and per device, with ETA).
 */
import { defineStore } from 'pinia';
import type { ApiEvent, SerializedError, SweepDetail, SweepPreset, SweepSpec, SweepSummary } from '../../common/api';
import type { SweepEngineEvent, SweepStage } from '../../common/types/sweep';
import { serializeError } from '../../common/errors';
import { newJobId } from '../util/format';
import { useAppStore } from './app';

/**
 * One stage's progress. Work items are counted once each (a variant; a variant on a phone for pushes; a variant on a
 * device × backend for benchmarks): a run that failed and was retried counts as done, not as failed and done.
 */
export interface StageCounter {
  started: number;
  done: number;
  failed: number;
  total: number;
  detail: string;
  /** Last state of each work item. */
  items: Record<string, 'start' | 'done' | 'failed'>;
}

/** The work item a stage event is about. */
function stageItem(ev: Extract<SweepEngineEvent, { type: 'stage' }>): string {
  if (ev.stage === 'push') return `${ev.variant}|${ev.device ?? ''}`;
  if (ev.stage === 'benchmark') return `${ev.variant}|${ev.device ?? ''}|${ev.backend ?? ''}`;
  return ev.variant;
}

function setItem(s: StageCounter, item: string, state: 'start' | 'done' | 'failed'): void {
  s.items[item] = state;
  const states = Object.values(s.items);
  s.started = states.length;
  s.done = states.filter((x) => x === 'done').length;
  s.failed = states.filter((x) => x === 'failed').length;
}

/** On resume: what the stored sweep already has counts as done. */
function seedFromStored(live: LiveProgress, d: SweepDetail): void {
  for (const row of d.rows) {
    if (row.top1 !== undefined) setItem(live.stages.evaluate, row.label, 'done');
    for (const c of row.cells) {
      if (c.status !== 'ok') continue;
      setItem(live.stages.benchmark, `${row.label}|${c.device}|${c.backend}`, 'done');
      if (c.device !== 'host') setItem(live.stages.push, `${row.label}|${c.device}`, 'done');
    }
  }
}

/** Live state of one device lane. */
export interface DeviceLive {
  done: number;
  total: number;
  etaMs?: number;
  detail?: string;
  /** The device went away; the lane waits for it. */
  lost?: boolean;
  /** The last failed run on this device (`CODE: message`), until a later run on it succeeds. */
  error?: string;
  /** The failed run is retried (its device went away and is expected back). */
  retrying?: boolean;
}

export interface LiveProgress {
  sweepId: string;
  jobId: string;
  state: 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
  error?: SerializedError & { hint?: string };
  overall: { done: number; total: number; etaMs?: number; detail?: string };
  devices: Record<string, DeviceLive>;
  stages: Record<SweepStage, StageCounter>;
  log: string[];
}

const emptyStage = (): StageCounter => ({ started: 0, done: 0, failed: 0, total: 0, detail: '', items: {} });

export const useSweepStore = defineStore('sweep', {
  state: () => ({
    presets: [] as SweepPreset[],
    list: [] as SweepSummary[],
    current: null as SweepDetail | null,
    currentError: null as SerializedError | null,
    live: null as LiveProgress | null,
    startError: null as SerializedError | null,
    compare: [] as string[],
    compareDetails: [] as SweepDetail[],
    refreshTimer: 0,
  }),
  actions: {
    async init(): Promise<void> {
      const app = useAppStore();
      app.subscribe((e) => this.onEvent(e));
      await Promise.all([this.loadPresets(), this.loadList()]);
    },
    async loadPresets(): Promise<void> {
      this.presets = await useAppStore().api().call('sweep.presets', {});
    },
    async loadList(): Promise<void> {
      this.list = await useAppStore().api().call('sweep.list', {});
    },
    async open(sweepId: string): Promise<void> {
      this.currentError = null;
      try {
        this.current = await useAppStore().api().call('sweep.get', { sweepId });
      } catch (e) {
        this.currentError = serializeError(e);
      }
    },
    newLive(sweepId: string, jobId: string, variants: number): LiveProgress {
      const stages = { compress: emptyStage(), evaluate: emptyStage(), push: emptyStage(), benchmark: emptyStage() };
      stages.compress.total = variants;
      stages.evaluate.total = variants;
      return { sweepId, jobId, state: 'running', overall: { done: 0, total: 0 }, devices: {}, stages, log: [] };
    },
    async start(spec: SweepSpec): Promise<void> {
      this.startError = null;
      const jobId = newJobId('sweep');
      try {
        const { sweepId } = await useAppStore().api().call('sweep.start', { config: spec, jobId });
        if (!this.live || this.live.sweepId !== sweepId)
          this.live = this.newLive(sweepId, jobId, spec.variants.length + 1);
        await this.loadList();
        await this.open(sweepId);
      } catch (e) {
        this.startError = serializeError(e);
      }
    },
    async resume(sweepId: string): Promise<void> {
      this.startError = null;
      const jobId = newJobId('sweep');
      // What is stored already counts as done in the live progress.
      await this.open(sweepId);
      // Live progress starts before the call: the sweep's first events may arrive before its answer.
      const previous = this.live;
      this.live = this.newLive(sweepId, jobId, this.current?.sweepId === sweepId ? this.current.rows.length : 0);
      try {
        await useAppStore().api().call('sweep.resume', { sweepId, jobId });
        await Promise.all([this.loadList(), this.open(sweepId)]);
      } catch (e) {
        this.live = previous;
        this.startError = serializeError(e);
      }
    },
    async cancel(): Promise<void> {
      if (this.live) await useAppStore().api().call('sweep.cancel', { sweepId: this.live.sweepId });
    },
    /** Refresh the open sweep at most every 1.5 s while events arrive. */
    scheduleRefresh(sweepId: string): void {
      if (this.refreshTimer) return;
      this.refreshTimer = window.setTimeout(() => {
        this.refreshTimer = 0;
        if (this.current?.sweepId === sweepId || !this.current) void this.open(sweepId);
      }, 1500);
    },
    onEvent(e: ApiEvent): void {
      if (e.type !== 'sweep.event') return;
      if (!this.live || this.live.sweepId !== e.sweepId) this.live = this.newLive(e.sweepId, '', 0);
      this.apply(this.live, e.event);
      if (e.event.type === 'finished') void this.open(e.sweepId);
      else if (e.event.type !== 'progress') this.scheduleRefresh(e.sweepId);
    },
    apply(live: LiveProgress, ev: SweepEngineEvent): void {
      const log = (line: string): void => {
        live.log.unshift(`${new Date().toLocaleTimeString()}  ${line}`);
        live.log.length = Math.min(live.log.length, 200);
      };
      switch (ev.type) {
        case 'started': {
          // A (re)started run of the sweep: earlier state of this panel (cancelled, interrupted) is over.
          live.state = 'running';
          live.error = undefined;
          for (const d of Object.values(live.devices)) d.lost = false;
          for (const key of Object.keys(live.stages) as SweepStage[]) live.stages[key] = emptyStage();
          if (ev.resumed && this.current?.sweepId === live.sweepId) seedFromStored(live, this.current);
          live.overall = { done: ev.doneRuns, total: ev.totalRuns };
          live.stages.compress.total = ev.variants;
          live.stages.evaluate.total = ev.variants;
          // Each variant is pushed once to each phone (every backend runs the same file); this computer needs none.
          live.stages.push.total =
            ev.variants * new Set(ev.targets.filter((t) => t.device !== 'host').map((t) => t.device)).size;
          live.stages.benchmark.total = ev.totalRuns;
          log(
            ev.resumed
              ? `Resumed: ${ev.doneRuns} of ${ev.totalRuns} runs already done.`
              : `Started: ${ev.variants} variants, ${ev.totalRuns} benchmark runs.`,
          );
          break;
        }
        case 'stage': {
          const s = live.stages[ev.stage];
          const item = stageItem(ev);
          // A later start (a retry) does not undo a finished item's count until it ends again.
          if (ev.state !== 'start' || s.items[item] === undefined) setItem(s, item, ev.state);
          s.detail =
            [ev.variant, ev.device, ev.backend].filter(Boolean).join(' · ') + (ev.detail ? ` — ${ev.detail}` : '');
          break;
        }
        case 'progress': {
          if (ev.scope === 'overall')
            live.overall = { done: ev.done, total: ev.total, etaMs: ev.etaMs, detail: ev.detail };
          else {
            const key = ev.device ?? 'host';
            live.devices[key] = {
              ...live.devices[key],
              done: ev.done,
              total: ev.total,
              etaMs: ev.etaMs,
              detail: ev.detail,
            };
          }
          break;
        }
        case 'variant-built':
          log(`Built ${ev.build.label}${ev.cached ? ' (cached)' : ''}.`);
          break;
        case 'variant-evaluated':
          log(`${ev.variant}: top-1 ${(ev.top1 * 100).toFixed(2)}% on ${ev.n} images.`);
          break;
        case 'variant-failed':
          log(`${ev.variant} failed: ${ev.error.message}`);
          break;
        case 'run-finished': {
          const d = (live.devices[ev.run.device] ??= { done: 0, total: 0 });
          if (ev.run.status === 'failed' && ev.run.error) {
            d.error = `${ev.label}/${ev.run.backend} — ${ev.run.error.code}: ${ev.run.error.message}`;
            d.retrying = /retried/i.test(ev.run.error.hint ?? '');
          } else if (ev.run.status === 'ok') {
            d.error = undefined;
            d.retrying = false;
          }
          log(
            `${ev.label} on ${ev.run.device}/${ev.run.backend}: ${ev.run.status === 'ok' ? `p50 ${ev.run.p50Ms?.toFixed(2)} ms` : `${ev.run.status} (${ev.run.error?.code ?? 'error'}: ${ev.run.error?.message ?? ''})`}`,
          );
          break;
        }
        case 'device-lost':
          live.devices[ev.device] = { ...(live.devices[ev.device] ?? { done: 0, total: 0 }), lost: true };
          log(`${ev.device} disconnected — waiting up to ${Math.round(ev.waitMs / 1000)} s for it to come back.`);
          break;
        case 'device-back':
          if (live.devices[ev.device]) live.devices[ev.device]!.lost = false;
          log(`${ev.device} is back.`);
          break;
        case 'finished':
          live.state = ev.state;
          if (ev.error) live.error = ev.error;
          log(`Sweep ${ev.state}.`);
          void this.loadList();
          break;
      }
    },
    async setCompare(ids: string[]): Promise<void> {
      this.compare = ids.slice(-2);
      const api = useAppStore().api();
      this.compareDetails = await Promise.all(this.compare.map((sweepId) => api.call('sweep.get', { sweepId })));
    },
  },
});
