import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SweepEngineEvent, SweepSpec } from '../../../src/common/types/sweep.js';
import { resumeSweep, runSweep } from '../../../src/main/engine/sweep/runner.js';
import { MemorySweepStore } from '../../../src/main/engine/sweep/store-port.js';
import { makeWorld, type FakeWorld } from './fake-ports.js';

function specFor(w: FakeWorld, over: Partial<SweepSpec> = {}): SweepSpec {
  return {
    name: 'unit',
    model: w.modelPath,
    dataset: w.dataDir,
    variants: [
      { prune: { method: 'l2', target: 'all', ratio: 0.3 } },
      { quant: { mode: 'int8-dynamic', profile: 'cpu' } },
      // Same bytes as the previous one in the fake compressor: deduplicated by content hash.
      { quant: { mode: 'int8-dynamic', profile: 'xnnpack' } },
      { quant: { mode: 'fp16' } },
    ],
    targets: { devices: 'all' },
    bench: { runs: 3, warmup: 1 },
    deviceWaitMs: 2000,
    ...over,
  };
}

function opts(
  w: FakeWorld,
  store: MemorySweepStore,
  extra: Partial<Parameters<typeof runSweep>[1]> = {},
): Parameters<typeof runSweep>[1] {
  return { store, ports: w.ports, variantsDir: join(w.dir, 'variants'), devicePollMs: 10, ...extra };
}

describe('runSweep with fake engine', () => {
  it('runs every variant on every target, dedups identical bytes and computes speed-ups', async () => {
    const w = makeWorld();
    w.devices.set('P1', { serial: 'P1', state: 'device', backends: ['cpu', 'xnnpack'] });
    const store = new MemorySweepStore();
    const events: SweepEngineEvent[] = [];
    const res = await runSweep(specFor(w), opts(w, store, { onEvent: (e) => events.push(e) }));
    expect(res.state).toBe('done');
    expect(res.targets.map((t) => `${t.device}/${t.backend}`)).toEqual(['host/host', 'P1/cpu', 'P1/xnnpack']);
    expect(res.rows.map((r) => r.label)).toEqual([
      'baseline',
      'l2-all-30',
      'int8-dynamic',
      'int8-dynamic-xnnpack',
      'fp16',
    ]);
    const dup = res.rows[3]!;
    expect(dup.duplicateOf).toBe('int8-dynamic');
    expect(dup.sha256).toBe(res.rows[2]!.sha256);
    // 4 distinct models × 3 targets benchmarked once each; 4 evaluations; 4 compressions (baseline is not built).
    expect(w.calls.bench).toHaveLength(12);
    expect(w.calls.evaluate).toHaveLength(4);
    expect(w.calls.compress).toHaveLength(4);
    expect(res.counts).toEqual({ total: 15, ok: 15, failed: 0, pending: 0 });
    const base = res.rows[0]!.cells[0]!;
    const pruned = res.rows[1]!.cells[0]!;
    expect(base.speedup).toBeCloseTo(1, 10);
    expect(pruned.speedup).toBeCloseTo(base.p50Ms! / pruned.p50Ms!, 10);
    expect(res.rows.every((r) => r.top1 !== undefined && r.bytes !== undefined)).toBe(true);
    expect(res.rows.some((r) => r.cells[0]!.pareto)).toBe(true);
    expect(events.filter((e) => e.type === 'run-finished')).toHaveLength(12);
    const overall = events
      .filter(
        (e): e is Extract<SweepEngineEvent, { type: 'progress' }> => e.type === 'progress' && e.scope === 'overall',
      )
      .at(-1);
    expect(overall).toMatchObject({ done: 15, total: 15 });
    expect(events.some((e) => e.type === 'progress' && e.scope === 'device' && e.device === 'P1')).toBe(true);
  });

  it('resumes a cancelled sweep without redoing finished runs or rebuilding variants', async () => {
    const w = makeWorld({ delayMs: 5 });
    w.devices.set('P1', { serial: 'P1', state: 'device', backends: [] });
    const store = new MemorySweepStore();
    const ac = new AbortController();
    let finished = 0;
    const first = await runSweep(
      specFor(w),
      opts(w, store, {
        signal: ac.signal,
        onEvent: (e) => e.type === 'run-finished' && ++finished === 4 && ac.abort(),
      }),
    );
    expect(first.state).toBe('cancelled');
    expect(first.counts.ok).toBeGreaterThanOrEqual(4);
    expect(first.counts.pending).toBeGreaterThan(0);
    const benchBefore = w.calls.bench.length;
    const compressBefore = w.calls.compress.length;
    const okBefore = first.counts.ok;

    const second = await resumeSweep(first.sweepId, opts(w, store));
    expect(second.state).toBe('done');
    expect(second.counts).toEqual({ total: 15, ok: 15, failed: 0, pending: 0 });
    // Every distinct (model, target) benchmarked exactly once over both sessions.
    expect(new Set(w.calls.bench).size).toBe(w.calls.bench.length);
    expect(w.calls.bench.length).toBe(12);
    expect(w.calls.bench.length - benchBefore).toBeLessThanOrEqual(12 - Math.min(okBefore, 12));
    // Variants built before the cancel came from the cache.
    const rebuilt = w.calls.compress.slice(compressBefore);
    expect(rebuilt.filter((l) => w.calls.compress.slice(0, compressBefore).includes(l))).toEqual([]);
  });

  it('retries the runs of a phone that disappears and comes back, while the other phone finishes', async () => {
    const w = makeWorld();
    w.devices.set('P1', { serial: 'P1', state: 'device', backends: [] });
    w.devices.set('P2', { serial: 'P2', state: 'device', backends: [] });
    w.unplugOnNextBench.add('P1');
    const store = new MemorySweepStore();
    const events: SweepEngineEvent[] = [];
    const res = await runSweep(
      specFor(w, { targets: { devices: ['P1', 'P2'], backends: ['cpu'] } }),
      opts(w, store, {
        onEvent: (e) => {
          events.push(e);
          // Plug it back in shortly after it was lost.
          if (e.type === 'device-lost') setTimeout(() => (w.devices.get('P1')!.state = 'device'), 30);
        },
      }),
    );
    expect(res.state).toBe('done');
    expect(events.some((e) => e.type === 'device-lost' && e.device === 'P1')).toBe(true);
    expect(events.some((e) => e.type === 'device-back' && e.device === 'P1')).toBe(true);
    const failedThenOk = events.filter(
      (e) => e.type === 'run-finished' && e.run.device === 'P1' && e.run.status === 'failed',
    );
    expect(failedThenOk).toHaveLength(1);
    expect(failedThenOk[0]).toMatchObject({ run: { error: { code: 'DEVICE_DISCONNECTED' } } });
    expect(res.counts).toEqual({ total: 10, ok: 10, failed: 0, pending: 0 });
  });

  it('fails the runs of a phone that never returns with a coded error and hint; the others finish', async () => {
    const w = makeWorld();
    w.devices.set('P1', { serial: 'P1', state: 'device', backends: [] });
    w.devices.set('P2', { serial: 'P2', state: 'device', backends: [] });
    w.unplugOnNextBench.add('P1');
    const store = new MemorySweepStore();
    const res = await runSweep(
      specFor(w, { targets: { devices: ['P1', 'P2'], backends: ['cpu'] }, deviceWaitMs: 50 }),
      opts(w, store),
    );
    expect(res.state).toBe('done');
    const p1 = res.rows.map((r) => r.cells.find((c) => c.device === 'P1')!);
    const p2 = res.rows.map((r) => r.cells.find((c) => c.device === 'P2')!);
    expect(p2.every((c) => c.status === 'ok')).toBe(true);
    expect(p1.every((c) => c.status === 'failed' && c.error?.code === 'DEVICE_DISCONNECTED' && !!c.error.hint)).toBe(
      true,
    );
  });

  it('records a variant that cannot be built and still runs the others', async () => {
    const w = makeWorld();
    w.failCompressFor.add('l2-all-30');
    const store = new MemorySweepStore();
    const res = await runSweep(specFor(w, { targets: { devices: 'host' } }), opts(w, store));
    const row = res.rows.find((r) => r.label === 'l2-all-30')!;
    expect(row.status).toBe('failed');
    expect(row.error).toMatchObject({ code: 'VIT_PATTERN_UNSUPPORTED' });
    expect(row.error?.hint).toBeTruthy();
    expect(row.cells[0]).toMatchObject({ status: 'failed' });
    expect(res.rows.filter((r) => r.status === 'ok')).toHaveLength(4);
    expect(res.counts.ok).toBe(4);
  });
});
