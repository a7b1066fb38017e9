import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ProgressEvent } from '../../../src/common/progress.js';
import { adbClient, type AdbClient } from '../../../src/main/engine/devices/adb-server.js';
import { cleanupDevice, deployModel, pushFile } from '../../../src/main/engine/devices/deploy.js';
import { runShell } from '../../../src/main/engine/devices/device-shell.js';
import { DeviceWatcher } from '../../../src/main/engine/devices/discovery.js';
import { benchOnDevice } from '../../../src/main/engine/devices/device-bench.js';
import { shellJoin } from '../../../src/main/engine/devices/shell-quote.js';
import { VirtualPhone } from '../../virtual-phone/adbd.js';
import { connectPhone, makeRunnersDir, startAdbServer, type AdbServerHandle } from '../../virtual-phone/harness.js';

const MODEL = path.join(__dirname, '../../fixtures/vit-exports/timm-vit-op13.onnx');

describe('deployment to virtual phones through the real adb server', () => {
  let server: AdbServerHandle;
  let client: AdbClient;
  let watcher: DeviceWatcher;
  const a = new VirtualPhone({ index: 0 });
  const b = new VirtualPhone({ index: 1 });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-deploy-'));
  const blob = path.join(tmp, 'blob.bin');

  beforeAll(async () => {
    server = await startAdbServer();
    await Promise.all([a.start(), b.start()]);
    await connectPhone(server, a);
    await connectPhone(server, b);
    client = await adbClient({ port: server.port });
    watcher = await new DeviceWatcher({ port: server.port, pollMs: 300 }).start();
    await watcher.waitFor((d) => d?.state === 'device', a.serial);
    await watcher.waitFor((d) => d?.state === 'device', b.serial);
    fs.writeFileSync(blob, crypto.randomBytes(3 * 1024 * 1024 + 123));
  });

  afterAll(async () => {
    watcher?.stop();
    await server?.stop();
    await Promise.all([a.stop(), b.stop()]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('pushes with progress, byte-exact, and skips identical content on the next deploy', async () => {
    const events: ProgressEvent[] = [];
    await pushFile(client, a.serial, blob, '/data/local/tmp/pqv/t/blob.bin', { onProgress: (e) => events.push(e) });
    const size = fs.statSync(blob).size;
    expect(events.length).toBeGreaterThan(2);
    expect(events.every((e) => e.stage === 'push' && e.device === a.serial && e.total === size)).toBe(true);
    expect(events.map((e) => e.done)).toEqual([...events.map((e) => e.done)].sort((x, y) => x - y));
    expect(events.at(-1)?.done).toBe(size);
    const sum = await runShell(client, a.serial, shellJoin(['sha256sum', '/data/local/tmp/pqv/t/blob.bin']));
    expect(sum.output.split(' ')[0]).toBe(crypto.createHash('sha256').update(fs.readFileSync(blob)).digest('hex'));

    const first = await deployModel(client, a.serial, MODEL);
    expect(first.cached).toBe(false);
    const sends = a.commandLog.length;
    const again: ProgressEvent[] = [];
    const second = await deployModel(client, a.serial, MODEL, { onProgress: (e) => again.push(e) });
    expect(second).toEqual({ remotePath: first.remotePath, cached: true });
    expect(again.map((e) => e.detail)).toEqual([`${path.basename(MODEL)} (cached)`]);
    expect(a.commandLog.length).toBe(sends); // no shell work either: a sync STAT decided it
    expect(fs.existsSync(path.join(a.dataDir, 'pqv', 'models'))).toBe(true);
  });

  it('pushes and runs files whose names hold spaces, quotes, $(), ; and newlines without injection', async () => {
    const runners = makeRunnersDir();
    onTestFinished(() => fs.rmSync(runners, { recursive: true, force: true }));
    const names = [
      'x; touch -- pwned1 .onnx',
      `it's "$(touch pwned2)".onnx`,
      '`touch pwned3` && touch pwned4.onnx',
      'y; cd ..; cd ..; touch pwned5; .onnx',
      'new\nline $HOME.onnx',
    ];
    for (const n of names) {
      const p = path.join(tmp, n);
      fs.copyFileSync(MODEL, p);
      const r = await benchOnDevice(b.serial, p, 'cpu', {
        adb: { port: server.port },
        runners: { runnersDir: runners },
        runs: 2,
        warmup: 1,
        placement: false,
        keepRunFiles: true,
      });
      expect(r.runs).toBe(2);
      const { remotePath } = await deployModel(client, b.serial, p);
      expect(path.posix.basename(remotePath)).toBe(n);
    }
    // The exact shape of an absolute-path payload, as a shell argument.
    await runShell(client, b.serial, shellJoin(['touch', '/data/local/tmp/x; touch /data/local/tmp/pwned']));
    const all = (dir: string): string[] => fs.readdirSync(dir, { recursive: true }).map(String);
    expect(all(b.dataDir).filter((f) => /^pwned/.test(path.basename(f)))).toEqual([]);
    expect(fs.existsSync(path.join(b.dataDir, 'x; touch /data/local/tmp', 'pwned'))).toBe(false);
    expect(fs.readdirSync(path.join(b.dataDir, 'pqv', 'runs'))).toHaveLength(names.length); // kept for inspection
    const r = await benchOnDevice(b.serial, MODEL, 'cpu', {
      adb: { port: server.port },
      runners: { runnersDir: runners },
      runs: 1,
      warmup: 0,
      placement: false,
    });
    expect(r.runs).toBe(1);
    expect(fs.readdirSync(path.join(b.dataDir, 'pqv', 'runs'))).toHaveLength(names.length); // this run's folder was removed
  });

  it('reports a full disk as DEVICE_NO_SPACE and leaves no partial file', async () => {
    b.setFaults({ noSpace: true });
    await expect(pushFile(client, b.serial, blob, '/data/local/tmp/pqv/t/full.bin')).rejects.toMatchObject({
      code: 'DEVICE_NO_SPACE',
    });
    b.setFaults({ noSpace: false });
    expect(fs.existsSync(path.join(b.dataDir, 'pqv', 't', 'full.bin'))).toBe(false);
  });

  it('reports a mid-push disconnect as DEVICE_DISCONNECTED while the other phone keeps pushing', async () => {
    b.setFaults({ disconnectAfterBytes: 512 * 1024 });
    const [onB, onA] = await Promise.allSettled([
      pushFile(client, b.serial, blob, '/data/local/tmp/pqv/t/cut.bin'),
      pushFile(client, a.serial, blob, '/data/local/tmp/pqv/t/ok.bin'),
    ]);
    expect(onB.status === 'rejected' && (onB.reason as { code: string }).code).toBe('DEVICE_DISCONNECTED');
    expect(onA.status).toBe('fulfilled');
    expect(fs.statSync(path.join(a.dataDir, 'pqv', 't', 'ok.bin')).size).toBe(fs.statSync(blob).size);
    // The link comes back (adb reconnects TCP devices); the next deploy starts over and completes.
    await watcher.waitFor((d) => d?.state === 'device', b.serial, 30_000);
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      ok = await pushFile(client, b.serial, blob, '/data/local/tmp/pqv/t/cut.bin').then(
        () => true,
        () => new Promise<boolean>((r) => setTimeout(() => r(false), 500)),
      );
    }
    expect(ok).toBe(true);
  });

  it('still completes over a slow link, reporting progress along the way', async () => {
    a.setFaults({ bytesPerSecond: 4 * 1024 * 1024 });
    const events: ProgressEvent[] = [];
    const small = path.join(tmp, 'small.bin');
    fs.writeFileSync(small, crypto.randomBytes(1024 * 1024));
    await pushFile(client, a.serial, small, '/data/local/tmp/pqv/t/slow.bin', { onProgress: (e) => events.push(e) });
    a.setFaults({ bytesPerSecond: null });
    expect(events.at(-1)?.done).toBe(1024 * 1024);
    expect(new Set(events.map((e) => e.done)).size).toBeGreaterThan(3);
  });

  it('cancels a push through its AbortSignal', async () => {
    a.setFaults({ bytesPerSecond: 256 * 1024 });
    const ac = new AbortController();
    const p = pushFile(client, a.serial, blob, '/data/local/tmp/pqv/t/cancel.bin', {
      signal: ac.signal,
      onProgress: (e) => {
        if (e.done > 0) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    a.setFaults({ bytesPerSecond: null });
  });

  it('cleans up our folder on request', async () => {
    await cleanupDevice(client, a.serial);
    expect(fs.existsSync(path.join(a.dataDir, 'pqv'))).toBe(false);
    await expect(cleanupDevice(client, a.serial, { subPath: '../../etc' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
