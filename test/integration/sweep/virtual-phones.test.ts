/**
 * The sweep on two virtual phones behind a private, real adb server: one phone is unplugged mid-sweep (`adb
 * disconnect` right before its second benchmark); its run is recorded as failed with a device error, retried when
 * the phone is plugged back in, and both phones finish.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepEngineEvent } from '../../../src/common/types/sweep.js';
import { realPorts } from '../../../src/main/engine/sweep/engine-ports.js';
import { runSweep } from '../../../src/main/engine/sweep/runner.js';
import { SqliteSweepStore } from '../../../src/main/engine/sweep/sqlite-store.js';
import { VirtualPhone } from '../../virtual-phone/adbd.js';
import { connectPhone, makeRunnersDir, startAdbServer, type AdbServerHandle } from '../../virtual-phone/harness.js';

const demo = resolve(__dirname, '../../../resources/demo');

describe('sweep on virtual phones', () => {
  let server: AdbServerHandle;
  let phones: VirtualPhone[] = [];
  const saved = { port: process.env.PQV_ADB_PORT, runners: process.env.PQV_RUNNERS };

  beforeAll(async () => {
    server = await startAdbServer();
    phones = [await new VirtualPhone({ index: 0 }).start(), await new VirtualPhone({ index: 1 }).start()];
    for (const p of phones) await connectPhone(server, p);
    process.env.PQV_ADB_PORT = String(server.port);
    process.env.PQV_RUNNERS = makeRunnersDir();
  });

  afterAll(async () => {
    await server?.stop();
    for (const p of phones) await p.stop();
    if (saved.port === undefined) delete process.env.PQV_ADB_PORT;
    else process.env.PQV_ADB_PORT = saved.port;
    if (saved.runners === undefined) delete process.env.PQV_RUNNERS;
    else process.env.PQV_RUNNERS = saved.runners;
  });

  it('finds the backends each phone runner supports', async () => {
    // Pixel profiles (Android 14, Tensor SoC): NNAPI but no Qualcomm QNN backends.
    expect(await realPorts().deviceBackends(phones[0]!.serial)).toEqual(['cpu', 'xnnpack', 'nnapi']);
    expect(await realPorts().deviceBackends('127.0.0.1:1')).toEqual([]);
  });

  it('retries the runs of an unplugged phone when it returns while the other phone finishes', async () => {
    const [a, b] = phones as [VirtualPhone, VirtualPhone];
    const home = mkdtempSync(join(tmpdir(), 'pqv-sweep-vphone-'));
    const store = SqliteSweepStore.open(join(home, 'pqv.db'));
    const events: SweepEngineEvent[] = [];
    const real = realPorts();
    let benchesOnA = 0;
    try {
      const res = await runSweep(
        {
          name: 'two phones',
          model: join(demo, 'fmnist-deit-op17.onnx'),
          dataset: join(demo, 'data/test'),
          evalLimit: 20,
          variants: [{ quant: { mode: 'int8-dynamic' } }, { quant: { mode: 'fp16' } }],
          targets: { devices: 'all', backends: ['cpu'] },
          bench: { runs: 3, warmup: 1 },
          deviceWaitMs: 60_000,
        },
        {
          store,
          variantsDir: join(home, 'variants'),
          devicePollMs: 250,
          ports: {
            // Pull phone A's cable right before its second benchmark.
            benchDevice: async (serial, ...rest) => {
              if (serial === a.serial && ++benchesOnA === 2) await server.adb(['disconnect', a.serial]);
              return real.benchDevice(serial, ...rest);
            },
          },
          onEvent: (e) => {
            events.push(e);
            // Plug it back in once the sweep noticed.
            if (e.type === 'device-lost' && e.device === a.serial) setTimeout(() => void connectPhone(server, a), 500);
          },
        },
      );
      expect(res.targets).toEqual([
        { device: 'host', backend: 'host' },
        ...[a.serial, b.serial].sort().map((device) => ({ device, backend: 'cpu' })),
      ]);
      expect(res.state).toBe('done');
      expect(res.counts).toEqual({ total: 9, ok: 9, failed: 0, pending: 0 });
      const lost = events.filter((e) => e.type === 'device-lost');
      expect(lost.map((e) => e.type === 'device-lost' && e.device)).toEqual([a.serial]);
      expect(events.some((e) => e.type === 'device-back' && e.device === a.serial)).toBe(true);
      const marked = events.filter(
        (e) => e.type === 'run-finished' && e.run.device === a.serial && e.run.status === 'failed',
      );
      expect(marked).toHaveLength(1);
      expect(marked[0]).toMatchObject({ run: { error: { code: expect.stringMatching(/^DEVICE_/) } } });
      const okOnB = events.filter(
        (e) => e.type === 'run-finished' && e.run.device === b.serial && e.run.status === 'ok',
      );
      expect(okOnB).toHaveLength(3);
      // Stored: one row per (variant, device, backend); the failed mark was replaced by the retry's result.
      const rows = store.listRuns(res.sweepId).filter((r) => r.kind === 'bench');
      expect(rows).toHaveLength(9);
      expect(rows.every((r) => r.status === 'ok' && (r.bench?.p50Ms ?? 0) > 0)).toBe(true);
    } finally {
      store.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
