import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiService } from '../../../src/main/services/api-service.js';
import type { SweepEngine } from '../../../src/main/services/engine-adapter.js';
import type { ApiEvent } from '../../../src/common/api.js';
import type { SweepEngineEvent } from '../../../src/common/types/sweep.js';
import { fakeEngine } from './fake-engine.js';

let home: string;
const oldHome = process.env.PQV_HOME;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'pqv-service-'));
  process.env.PQV_HOME = home;
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  process.env.PQV_HOME = oldHome;
});

/** A sweep engine that reports one event before its id is known and then waits for cancellation. */
function fakeSweeps(): SweepEngine & { aborted: () => boolean } {
  let signal: AbortSignal | undefined;
  const started: SweepEngineEvent = {
    type: 'started',
    sweepId: 'sw-1',
    resumed: false,
    variants: 2,
    targets: [],
    totalRuns: 2,
    doneRuns: 0,
  };
  return {
    aborted: () => signal?.aborted ?? false,
    start: async (_spec, opts) => {
      signal = opts.signal;
      opts.onEvent(started);
      const done = new Promise<void>((resolve) => {
        opts.signal.addEventListener('abort', () => {
          opts.onEvent({ type: 'finished', sweepId: 'sw-1', state: 'cancelled' });
          resolve();
        });
      });
      return { sweepId: 'sw-1', done };
    },
    resume: async () => ({ sweepId: 'sw-1', done: Promise.resolve() }),
    list: async () => [],
    get: async () => {
      throw new Error('unused');
    },
  };
}

describe('ApiService', () => {
  it('records bench and eval runs and exports them as CSV', async () => {
    const service = new ApiService(fakeEngine(home), { mode: 'cli' });
    const bench = await service.call('bench.run', {
      modelPath: '/m/a.onnx',
      device: 'host',
      backend: 'host',
      runs: 3,
      warmup: 1,
      threads: 1,
    });
    expect(bench.status).toBe('ok');
    expect(bench.bench?.p50Ms).toBe(2.5);
    const ev = await service.call('eval.run', { modelPath: '/m/a.onnx', dataDir: '/d', limit: 8 });
    expect(ev.eval?.top1).toBe(0.875);
    const runs = await service.call('results.list', {});
    expect(runs.map((r) => r.kind)).toEqual(['eval', 'bench']);
    const csv = await service.call('report.csv', {});
    expect(csv.path.startsWith(join(home, 'reports'))).toBe(true);
    const lines = readFileSync(csv.path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain(',bench,ok,a.onnx,');
    const data = await service.reportData({});
    expect(data.benchRows[0]?.top1).toBe(0.875);
  });

  it('forwards sweep events tagged with the sweep id, and sweep.cancel aborts the sweep', async () => {
    const sweeps = fakeSweeps();
    const service = new ApiService({ ...fakeEngine(home), sweeps }, { mode: 'cli' });
    const events: ApiEvent[] = [];
    service.onEvent((e) => events.push(e));
    const spec = {
      name: 's',
      model: '/m',
      dataset: '/d',
      variants: [],
      targets: { devices: 'host' as const },
      bench: { runs: 1, warmup: 0 },
    };
    const { sweepId } = await service.call('sweep.start', { config: spec, jobId: 'sj' });
    expect(sweepId).toBe('sw-1');
    expect(events[0]).toMatchObject({ type: 'sweep.event', sweepId: 'sw-1', event: { type: 'started' } });
    expect(await service.call('sweep.cancel', { sweepId })).toEqual({ cancelled: true });
    expect(sweeps.aborted()).toBe(true);
    await expect
      .poll(() => events.find((e) => e.type === 'job.finished'))
      .toMatchObject({ jobId: 'sj', status: 'cancelled' });
    expect(events.some((e) => e.type === 'sweep.event' && e.event.type === 'finished')).toBe(true);
    expect(await service.call('sweep.cancel', { sweepId })).toEqual({ cancelled: false });
  });

  it('refuses a second job with an id that is still running', async () => {
    const service = new ApiService(fakeEngine(home, { slowBench: true }), { mode: 'cli' });
    const req = {
      jobId: 'same',
      modelPath: '/m',
      device: 'host',
      backend: 'host' as const,
      runs: 1,
      warmup: 0,
      threads: 0,
    };
    const first = service.call('bench.run', req);
    await expect(service.call('bench.run', req)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await service.call('job.cancel', { jobId: 'same' });
    await expect(first).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
