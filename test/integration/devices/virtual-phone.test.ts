import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adbClient } from '../../../src/main/engine/devices/adb-server.js';
import { runShell } from '../../../src/main/engine/devices/device-shell.js';
import { VirtualPhone } from '../../virtual-phone/adbd.js';
import { connectPhone, startAdbServer, type AdbServerHandle } from '../../virtual-phone/harness.js';

/** The virtual phone against the stock adb client: shell v2 (exit codes, stderr), v1 and sync push/pull. */
describe('virtual phone protocol with the adb CLI', () => {
  let server: AdbServerHandle;
  const phone = new VirtualPhone();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-vp-'));

  beforeAll(async () => {
    server = await startAdbServer();
    await phone.start();
    await connectPhone(server, phone);
  });

  afterAll(async () => {
    await server?.stop();
    await phone.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const adbShell = (cmd: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      import('node:child_process').then(({ execFile }) =>
        execFile(
          'adb',
          ['-P', String(server.port), '-s', phone.serial, 'shell', cmd],
          { env: server.env },
          (e, stdout, stderr) => resolve({ code: e ? Number((e as { code?: number }).code ?? -1) : 0, stdout, stderr }),
        ),
      );
    });

  it('shell v2 carries the exit status and keeps stderr apart', async () => {
    expect(await adbShell('echo out; cat /nope; false')).toEqual({
      code: 1,
      stdout: 'out\n',
      stderr: 'cat: /nope: No such file or directory\n',
    });
    expect((await adbShell('getprop ro.product.model && echo \'a  b\' "c $?"')).stdout).toBe('Pixel 8\na  b c 0\n');
    expect((await adbShell('nosuchcmd')).code).toBe(127);
  });

  it('shell v1 through adbkit needs the exit marker, and gets it', async () => {
    const client = await adbClient({ port: server.port });
    expect(await runShell(client, phone.serial, 'echo hi; cat /nope')).toEqual({
      output: 'hi\ncat: /nope: No such file or directory\n',
      exitCode: 1,
    });
  });

  it('sync: adb push / pull / ls round-trip byte-exact, and a full disk fails with ENOSPC', async () => {
    const src = path.join(tmp, 'data.bin');
    fs.writeFileSync(src, crypto.randomBytes(700_001));
    await server.adb(['-s', phone.serial, 'push', src, '/data/local/tmp/sub/data.bin']);
    const back = path.join(tmp, 'back.bin');
    await server.adb(['-s', phone.serial, 'pull', '/data/local/tmp/sub/data.bin', back]);
    expect(fs.readFileSync(back).equals(fs.readFileSync(src))).toBe(true);
    expect((await adbShell('ls /data/local/tmp/sub')).stdout).toBe('data.bin\n');
    phone.setFaults({ noSpace: true });
    await expect(server.adb(['-s', phone.serial, 'push', src, '/data/local/tmp/sub/x.bin'])).rejects.toThrow(
      /No space left on device/,
    );
    phone.setFaults({ noSpace: false });
    await expect(server.adb(['-s', phone.serial, 'push', src, '/system/x.bin'])).rejects.toThrow(
      /Read-only file system/,
    );
  });
});
