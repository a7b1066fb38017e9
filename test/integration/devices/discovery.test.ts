import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeviceEvent } from '../../../src/common/types/devices.js';
import { DeviceWatcher, listPhones, connectRemote } from '../../../src/main/engine/devices/discovery.js';
import { adbClient } from '../../../src/main/engine/devices/adb-server.js';
import { readDeviceFacts } from '../../../src/main/engine/devices/facts.js';
import { benchOnDevice } from '../../../src/main/engine/devices/device-bench.js';
import { register } from '../../../src/main/cli/commands/devices.js';
import { VirtualPhone } from '../../virtual-phone/adbd.js';
import { connectPhone, startAdbServer, type AdbServerHandle } from '../../virtual-phone/harness.js';

describe('discovery and hot-plug through the real adb server', () => {
  let server: AdbServerHandle;
  let watcher: DeviceWatcher;
  const events: DeviceEvent[] = [];
  const phone = new VirtualPhone({ index: 0 });
  const unauthorized = new VirtualPhone({ index: 1, faults: { unauthorized: true } });
  const offline = new VirtualPhone({ index: 2, faults: { offline: true } });

  beforeAll(async () => {
    server = await startAdbServer();
    await Promise.all([phone.start(), unauthorized.start(), offline.start()]);
    watcher = await new DeviceWatcher({ port: server.port, pollMs: 500 }).start();
    watcher.on('event', (e: DeviceEvent) => events.push(e));
  });

  afterAll(async () => {
    watcher?.stop();
    await server?.stop();
    await Promise.all([phone.stop(), unauthorized.stop(), offline.stop()]);
  });

  it('reports device, unauthorized and offline phones as they appear, each with a next step', async () => {
    await connectPhone(server, phone);
    await watcher.waitFor((d) => d?.state === 'device', phone.serial);
    await connectPhone(server, unauthorized).catch(() => undefined);
    await watcher.waitFor((d) => d?.state === 'unauthorized', unauthorized.serial);
    await connectPhone(server, offline, { wait: false });
    await watcher.waitFor((d) => d?.state === 'offline', offline.serial);

    const list = await listPhones([{ port: server.port }]);
    const bySerial = new Map(list.map((d) => [d.serial, d]));
    expect(bySerial.get(phone.serial)?.state).toBe('device');
    expect(bySerial.get(phone.serial)?.hint).toBeUndefined();
    expect(bySerial.get(unauthorized.serial)?.hint).toMatch(/accept the USB-debugging prompt/i);
    expect(bySerial.get(offline.serial)?.hint).toMatch(/reconnect/i);
    expect(bySerial.get(phone.serial)?.server).toBe(`127.0.0.1:${server.port}`);
    const adds = events.filter((e) => e.type === 'add' && e.device.serial === phone.serial);
    expect(adds).toHaveLength(1);
  });

  it('refuses to benchmark unauthorized, offline and absent phones with coded errors', async () => {
    const opts = { adb: { port: server.port }, runs: 1 };
    await expect(benchOnDevice(unauthorized.serial, 'x.onnx', 'cpu', opts)).rejects.toMatchObject({
      code: 'DEVICE_UNAUTHORIZED',
    });
    await expect(benchOnDevice(offline.serial, 'x.onnx', 'cpu', opts)).rejects.toMatchObject({
      code: 'DEVICE_OFFLINE',
    });
    await expect(benchOnDevice('127.0.0.1:1', 'x.onnx', 'cpu', opts)).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
    });
    await expect(benchOnDevice(phone.serial, 'x.onnx', 'host', opts)).rejects.toMatchObject({
      code: 'BACKEND_UNSUPPORTED',
    });
  });

  it('reads device facts over adb', async () => {
    const f = await readDeviceFacts(await adbClient({ port: server.port }), phone.serial);
    expect(f).toMatchObject({
      manufacturer: 'Google',
      model: 'Pixel 8',
      soc: 'Tensor G3',
      sdk: 34,
      androidVersion: '14',
      bigCores: [4, 5, 6, 7],
      bigCoreMask: 'f0',
      cpuCount: 8,
      batteryLevel: 87,
      batteryTempC: 31.2,
      thermalStatus: 0,
    });
    expect(f.ramBytes).toBe(phone.profile.memTotalKb * 1024);
    expect(f.abis[0]).toBe('arm64-v8a');
  });

  it('sees unplug and replug as remove and add events', async () => {
    const before = events.length;
    await server.adb(['disconnect', phone.serial]);
    await watcher.waitFor((d) => d === undefined, phone.serial);
    expect(await connectRemote(phone.serial, { port: server.port })).toBe(phone.serial);
    await watcher.waitFor((d) => d?.state === 'device', phone.serial);
    const mine = events.slice(before).filter((e) => e.device.serial === phone.serial);
    // A reconnecting TCP device may first show up offline (handshake pending), then change to device.
    expect(mine.map((e) => e.type).slice(0, 2)).toEqual(['remove', 'add']);
    expect(mine.slice(2).every((e) => e.type === 'change')).toBe(true);
    expect(mine.at(-1)?.device.state).toBe('device');
  });

  it('`pqv devices --json` lists the host and the phones with facts', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    const ctx = { exitCode: 0, signal: new AbortController().signal };
    const program = new Command('pqv').exitOverride();
    register(program, ctx);
    try {
      await program.parseAsync(['node', 'pqv', 'devices', '--json', '--adb-port', String(server.port)]);
    } finally {
      spy.mockRestore();
    }
    expect(ctx.exitCode).toBe(0);
    const json = JSON.parse(out.join('')) as {
      devices: Array<{ serial: string; state: string; facts?: { model: string } }>;
    };
    expect(json.devices[0]).toMatchObject({ serial: 'host', state: 'host' });
    expect(json.devices.find((d) => d.serial === phone.serial)?.facts?.model).toBe('Pixel 8');
    expect(json.devices.find((d) => d.serial === unauthorized.serial)?.state).toBe('unauthorized');
  });
});
