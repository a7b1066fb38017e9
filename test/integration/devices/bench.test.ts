import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../../src/common/types/bench.js';
import type { ProgressEvent } from '../../../src/common/progress.js';
import { benchOnDevice, type DeviceBenchOptions } from '../../../src/main/engine/devices/device-bench.js';
import { DeviceFarm } from '../../../src/main/engine/devices/farm.js';
import { DeviceWatcher } from '../../../src/main/engine/devices/discovery.js';
import { VirtualPhone } from '../../virtual-phone/adbd.js';
import { connectPhone, makeRunnersDir, startAdbServer, type AdbServerHandle } from '../../virtual-phone/harness.js';

const MODEL = path.join(__dirname, '../../fixtures/vit-exports/timm-vit-op13.onnx');
const MODEL_B = path.join(__dirname, '../../fixtures/vit-exports/hf-vit-op13.onnx');

describe('on-device benchmarks on virtual phones through the real adb server', () => {
  let server: AdbServerHandle;
  let opts: DeviceBenchOptions;
  const a = new VirtualPhone({ index: 0 });
  const b = new VirtualPhone({ index: 1 });
  const runners = makeRunnersDir('1.22.0');
  const broken = makeRunnersDir('1.23.0');

  beforeAll(async () => {
    server = await startAdbServer();
    await Promise.all([a.start(), b.start()]);
    await connectPhone(server, a);
    await connectPhone(server, b);
    const w = await new DeviceWatcher({ port: server.port, pollMs: 300 }).start();
    await w.waitFor((d) => d?.state === 'device', a.serial);
    await w.waitFor((d) => d?.state === 'device', b.serial);
    w.stop();
    opts = {
      adb: { port: server.port },
      runners: { runnersDir: runners },
      runs: 3,
      warmup: 2,
      thermal: { timeoutMs: 5000, pollMs: 100 },
    };
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([a.stop(), b.stop()]);
    for (const d of [runners, broken]) fs.rmSync(d, { recursive: true, force: true });
  });

  const expected: Record<string, { ep: string; flags: string[] }> = {
    cpu: { ep: 'CPUExecutionProvider', flags: ['taskset f0', '-e cpu', '-x 4'] },
    xnnpack: { ep: 'XnnpackExecutionProvider', flags: ['-e xnnpack', '-x 4'] },
    nnapi: { ep: 'NnapiExecutionProvider', flags: ['-e nnapi', "'NNAPI_FLAG_USE_FP16 NNAPI_FLAG_CPU_DISABLED'"] },
    gpu: { ep: 'QNNExecutionProvider', flags: ['-e qnn', "'backend_type|gpu'"] },
    npu: { ep: 'QNNExecutionProvider', flags: ['-e qnn', "'backend_type|htp htp_performance_mode|burst'"] },
  };

  for (const backend of ['cpu', 'xnnpack', 'nnapi', 'gpu', 'npu'] as const) {
    it(`runs the ${backend} backend and parses the numbers`, async () => {
      const before = a.commandLog.length;
      const events: ProgressEvent[] = [];
      const r = await benchOnDevice(a.serial, MODEL, backend, opts, { onProgress: (e) => events.push(e) });
      expect(r).toMatchObject({
        device: a.serial,
        deviceModel: 'Pixel 8',
        backend,
        runs: 3,
        warmup: 2,
        runner: { name: 'onnxruntime_perf_test', version: '1.22.0', abi: 'arm64-v8a' },
      });
      for (const k of ['initMs', 'firstMs', 'meanMs', 'p50Ms', 'p90Ms', 'p99Ms', 'minMs', 'maxMs'] as const)
        expect(r[k]).toBeGreaterThan(0);
      expect(r.minMs).toBeLessThanOrEqual(r.p50Ms);
      expect(r.p50Ms).toBeLessThanOrEqual(r.maxMs);
      expect(r.stdMs).toBeGreaterThanOrEqual(0);
      expect(r.peakRssBytes).toBeGreaterThan(1e6);
      expect(r.thermal).toEqual({
        before: { status: 0, batteryTempC: 31.2 },
        after: { status: 0, batteryTempC: 31.2 },
      });
      const placement = r.placement!;
      expect(Object.values(placement).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
      expect(placement[expected[backend]!.ep]).toBeGreaterThan(0);
      if (backend !== 'cpu') expect(placement.CPUExecutionProvider ?? 0).toBeLessThan(1);
      const runs = a.commandLog.slice(before).filter((c) => c.includes('onnxruntime_perf_test -e'));
      expect(runs).toHaveLength(2); // separate warm-up run + timed run
      for (const f of expected[backend]!.flags) expect(runs[1]).toContain(f);
      expect(runs[1]).toContain('-r 3');
      expect(runs[0]).toContain('-r 1');
      expect(events.some((e) => e.stage === 'benchmark' && e.done === 3)).toBe(true);
    });
  }

  it('fails honestly when CPU fallback is disabled and the backend lacks operators', async () => {
    await expect(
      benchOnDevice(a.serial, MODEL, 'gpu', { ...opts, disableCpuFallback: true, warmup: 0 }),
    ).rejects.toMatchObject({ code: 'BACKEND_UNSUPPORTED' });
    a.profile.accelerators.webgpu = false;
    await expect(
      benchOnDevice(a.serial, MODEL, 'gpu', { ...opts, gpuProvider: 'webgpu', warmup: 0 }),
    ).rejects.toMatchObject({ code: 'BACKEND_UNSUPPORTED' });
  });

  it('reports a 1.23.0 runner that mis-parses its flags as RUNNER_UNSUPPORTED', async () => {
    await expect(
      benchOnDevice(a.serial, MODEL, 'cpu', { ...opts, runners: { runnersDir: broken }, warmup: 0 }),
    ).rejects.toMatchObject({
      code: 'RUNNER_UNSUPPORTED',
      message: expect.stringContaining('1.23.0'),
    });
  });

  it('waits for a hot phone to cool down, and gives up with DEVICE_THERMAL_TIMEOUT', async () => {
    a.profile.thermalStatus = 2;
    a.profile.battery.temperatureTenthsC = 455;
    setTimeout(() => {
      a.profile.thermalStatus = 0;
      a.profile.battery.temperatureTenthsC = 352;
    }, 500);
    const events: ProgressEvent[] = [];
    const r = await benchOnDevice(
      a.serial,
      MODEL,
      'cpu',
      { ...opts, warmup: 0 },
      { onProgress: (e) => events.push(e) },
    );
    expect(r.thermal?.before).toEqual({ status: 0, batteryTempC: 35.2 });
    expect(events.some((e) => e.stage === 'cooldown' && /status 2, battery 45.5/.test(e.detail ?? ''))).toBe(true);
    a.profile.battery.temperatureTenthsC = 420;
    await expect(
      benchOnDevice(a.serial, MODEL, 'cpu', {
        ...opts,
        warmup: 0,
        thermal: { timeoutMs: 300, pollMs: 100, maxBatteryTempC: 40 },
      }),
    ).rejects.toMatchObject({
      code: 'DEVICE_THERMAL_TIMEOUT',
    });
    a.profile.battery.temperatureTenthsC = 312;
  });

  it('cancels a running benchmark', async () => {
    const ac = new AbortController();
    const p = benchOnDevice(
      a.serial,
      MODEL,
      'cpu',
      { ...opts, runs: 200, warmup: 0 },
      {
        signal: ac.signal,
        onProgress: (e) => {
          if (e.stage === 'benchmark') setTimeout(() => ac.abort(), 50);
        },
      },
    );
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('farm: a crashing or unplugged phone fails alone; the other phone completes every job exactly once', async () => {
    const farm = new DeviceFarm();
    const results: Array<{ serial: string; r?: BenchResult; code?: string }> = [];
    const job = (serial: string, model: string) =>
      farm
        .enqueue(serial, ({ signal }) =>
          benchOnDevice(serial, model, 'cpu', { ...opts, warmup: 0, placement: false }, { signal }),
        )
        .then(
          (r) => results.push({ serial, r }),
          (e: { code: string }) => results.push({ serial, code: e.code }),
        );
    a.setFaults({ runnerCrash: true });
    const bRunsBefore = b.commandLog.filter((c) => c.includes('result.csv')).length;
    await Promise.all([job(a.serial, MODEL), job(b.serial, MODEL), job(a.serial, MODEL), job(b.serial, MODEL)]);
    a.setFaults({ runnerCrash: false });
    // A fresh model makes phone A push again; the link drops mid-push while B keeps working.
    a.setFaults({ disconnectAfterBytes: 100_000 });
    await Promise.all([job(a.serial, MODEL_B), job(b.serial, MODEL_B)]);
    const summary = results.map((x) => `${x.serial === a.serial ? 'A' : 'B'}:${x.code ?? 'ok'}`).sort();
    expect(summary).toEqual(['A:DEVICE_DISCONNECTED', 'A:RUNNER_CRASHED', 'A:RUNNER_CRASHED', 'B:ok', 'B:ok', 'B:ok']);
    const bRuns = b.commandLog.filter((c) => c.includes('result.csv')).length - bRunsBefore;
    expect(bRuns).toBe(3); // nothing ran twice
    for (const x of results.filter((y) => y.r)) expect(x.r!.runs).toBe(3);
  });
});
