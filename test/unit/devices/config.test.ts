import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { resolveAdbServer } from '../../../src/main/engine/devices/adb-server.js';
import { resolveRunner, versionWarning } from '../../../src/main/engine/devices/runners.js';
import { makeRunnersDir } from '../../virtual-phone/harness.js';

describe('adb server address', () => {
  it('applies options > PQV_ADB_PORT > ADB_SERVER_SOCKET > default', () => {
    expect(resolveAdbServer({}, {})).toMatchObject({ host: '127.0.0.1', port: 5037 });
    expect(resolveAdbServer({}, { ADB_SERVER_SOCKET: 'tcp:10.0.0.2:5038' })).toMatchObject({
      host: '10.0.0.2',
      port: 5038,
    });
    expect(resolveAdbServer({}, { ADB_SERVER_SOCKET: 'tcp:6000' })).toMatchObject({ host: '127.0.0.1', port: 6000 });
    expect(resolveAdbServer({}, { ADB_SERVER_SOCKET: 'tcp:10.0.0.2:5038', PQV_ADB_PORT: '15001' })).toMatchObject({
      host: '10.0.0.2',
      port: 15001,
    });
    expect(resolveAdbServer({ port: 17000, host: 'h' }, { PQV_ADB_PORT: '15001' })).toMatchObject({
      host: 'h',
      port: 17000,
    });
    expect(() => resolveAdbServer({}, { ADB_SERVER_SOCKET: 'localfilesystem:/x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => resolveAdbServer({}, { PQV_ADB_PORT: 'abc' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('runner registry', () => {
  it('finds the runner for the first matching ABI, with its libraries, version and content hash', async () => {
    const dir = makeRunnersDir('1.22.0');
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const r = await resolveRunner(['x86_64', 'arm64-v8a'], { runnersDir: dir });
    expect(r.abi).toBe('arm64-v8a');
    expect(r.files.map((f) => f.name)).toEqual([
      'libQnnGpu.so',
      'libQnnHtp.so',
      'libQnnSystem.so',
      'libonnxruntime.so',
      'onnxruntime_perf_test',
    ]);
    expect(r.files.find((f) => f.executable)?.name).toBe('onnxruntime_perf_test');
    expect(r.version).toBe('1.22.0');
    expect(r.warnings).toEqual([]);
    expect(r.contentHash).toMatch(/^[0-9a-f]{16}$/);
    fs.appendFileSync(path.join(dir, 'arm64-v8a', 'libonnxruntime.so'), 'changed');
    expect((await resolveRunner(['arm64-v8a'], { runnersDir: dir })).contentHash).not.toBe(r.contentHash);
  });

  it('warns about 1.23.0 and unknown versions, and reports missing runners', async () => {
    expect(versionWarning('1.23.0')?.code).toBe('RUNNER_UNSUPPORTED');
    expect(versionWarning(null)?.code).toBe('RUNNER_UNSUPPORTED');
    expect(versionWarning('1.23.1')).toBeNull();
    const dir = makeRunnersDir('1.23.0');
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    expect((await resolveRunner(['arm64-v8a'], { runnersDir: dir })).warnings[0]?.message).toContain('1.23.0');
    await expect(resolveRunner(['armeabi-v7a'], { runnersDir: dir })).rejects.toMatchObject({ code: 'RUNNER_MISSING' });
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-none-'));
    onTestFinished(() => fs.rmSync(empty, { recursive: true, force: true }));
    await expect(resolveRunner(['arm64-v8a'], { runnersDir: empty })).rejects.toMatchObject({ code: 'RUNNER_MISSING' });
    const saved = process.env.PQV_RUNNERS;
    delete process.env.PQV_RUNNERS;
    await expect(resolveRunner(['arm64-v8a'])).rejects.toMatchObject({
      code: 'RUNNER_MISSING',
      message: expect.stringContaining('PQV_RUNNERS'),
    });
    process.env.PQV_RUNNERS = dir;
    expect((await resolveRunner(['arm64-v8a'])).dir).toBe(path.join(dir, 'arm64-v8a'));
    if (saved === undefined) delete process.env.PQV_RUNNERS;
    else process.env.PQV_RUNNERS = saved;
  });
});
