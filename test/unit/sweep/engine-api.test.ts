import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SweepEngineEvent } from '../../../src/common/types/sweep.js';
import { createSweepEngine, resumeSweep, runSweep, SqliteSweepStore } from '../../../src/main/engine/sweep/index.js';
import { makeWorld } from './fake-ports.js';

describe('createSweepEngine (UI service)', () => {
  it('starts in the background, then lists and returns the stored sweep', async () => {
    const w = makeWorld({ delayMs: 2 });
    const store = SqliteSweepStore.open(join(w.dir, 'pqv.db'));
    try {
      const engine = createSweepEngine({ store, ports: w.ports, variantsDir: join(w.dir, 'variants') });
      const events: SweepEngineEvent[] = [];
      const { sweepId, done } = await engine.start(
        {
          name: 'ui',
          model: w.modelPath,
          dataset: w.dataDir,
          variants: [{ quant: { mode: 'fp16' } }],
          targets: { devices: 'host' },
          bench: { runs: 2, warmup: 0 },
        },
        { signal: new AbortController().signal, onEvent: (e) => events.push(e) },
      );
      expect(sweepId).toMatch(/^sw-/);
      await done;
      expect(events.at(-1)).toMatchObject({ type: 'finished', sweepId, state: 'done' });
      const list = await engine.list();
      expect(list[0]).toMatchObject({ id: sweepId, name: 'ui', status: 'done', modelPath: w.modelPath });
      const res = await engine.get(sweepId);
      expect(res.rows.map((r) => r.label)).toEqual(['baseline', 'fp16']);
      expect(res.counts).toEqual({ total: 2, ok: 2, failed: 0, pending: 0 });
      await expect(engine.get('sw-none')).rejects.toMatchObject({ code: 'SWEEP_NOT_FOUND' });
    } finally {
      store.close();
    }
  });

  it('rejects start at once for an invalid spec', async () => {
    const w = makeWorld();
    const engine = createSweepEngine({ store: SqliteSweepStore.open(join(w.dir, 'pqv.db')), ports: w.ports });
    await expect(
      engine.start(
        {
          name: 'x',
          model: join(w.dir, 'missing.onnx'),
          dataset: w.dataDir,
          variants: [],
          targets: { devices: 'host' },
          bench: { runs: 1, warmup: 0 },
        },
        {
          signal: new AbortController().signal,
          onEvent: () => undefined,
        },
      ),
    ).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('resume with the SQLite store', () => {
  it('keeps finished runs and completes the rest after a cancel', async () => {
    const w = makeWorld({ delayMs: 5 });
    w.devices.set('P1', { serial: 'P1', state: 'device', backends: [] });
    const store = SqliteSweepStore.open(join(mkdtempSync(join(tmpdir(), 'pqv-sweep-db-')), 'pqv.db'));
    try {
      const ac = new AbortController();
      let n = 0;
      const spec = {
        name: 'sqlite',
        model: w.modelPath,
        dataset: w.dataDir,
        variants: [{ quant: { mode: 'int8-dynamic' as const } }, { quant: { mode: 'fp16' as const } }],
        targets: { devices: 'all' as const },
        bench: { runs: 2, warmup: 0 },
      };
      const opts = { store, ports: w.ports, variantsDir: join(w.dir, 'variants') };
      const first = await runSweep(spec, {
        ...opts,
        signal: ac.signal,
        onEvent: (e) => e.type === 'run-finished' && ++n === 3 && ac.abort(),
      });
      expect(first.state).toBe('cancelled');
      const okIds = store.results.listRuns({ sweepId: first.sweepId, status: 'ok' }).map((r) => [r.id, r.startedAt]);
      const second = await resumeSweep(first.sweepId, opts);
      expect(second.state).toBe('done');
      expect(second.counts).toEqual({ total: 9, ok: 9, failed: 0, pending: 0 });
      const rows = store.results.listRuns({ sweepId: first.sweepId });
      expect(rows.filter((r) => r.kind === 'bench')).toHaveLength(9);
      expect(rows.filter((r) => r.kind === 'eval')).toHaveLength(3);
      for (const [id, startedAt] of okIds) expect(rows.find((r) => r.id === id)?.startedAt).toBe(startedAt);
      expect(w.calls.bench).toHaveLength(9);
      expect(store.getSweep(first.sweepId)?.state).toBe('done');
    } finally {
      store.close();
    }
  });
});
