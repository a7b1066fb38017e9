import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../../src/main/services/api-service.js';
import { parseApiRequest } from '../../../src/common/api-schemas.js';
import type { ApiEvent } from '../../../src/common/api.js';
import { parseAdbAddress } from '../../../src/main/cli/commands/settings.js';
import { fakeEngine } from '../server/fake-engine.js';
import { makeRunners } from './runners-fixture.js';

let home: string;
const saved = { home: process.env.PQV_HOME, runners: process.env.PQV_RUNNERS, port: process.env.PQV_ADB_PORT };

beforeAll(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-settings-api-'));
  process.env.PQV_HOME = home;
  delete process.env.PQV_RUNNERS;
  delete process.env.PQV_ADB_PORT;
});
afterAll(() => {
  fs.rmSync(home, { recursive: true, force: true });
  for (const [k, v] of [
    ['PQV_HOME', saved.home],
    ['PQV_RUNNERS', saved.runners],
    ['PQV_ADB_PORT', saved.port],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('settings API', () => {
  it('gets and sets settings, checks runners, and watches the new adb server after a change', async () => {
    let watches = 0;
    const events: ApiEvent[] = [];
    const engine = { ...fakeEngine(home), watchDevices: () => (watches++, () => undefined) };
    const service = new ApiService(engine, { mode: 'cli' });
    service.onEvent((e) => events.push(e));
    expect(watches).toBe(1);

    const before = await service.call('settings.get', {});
    expect(before.file).toBe(path.join(home, 'settings.json'));
    expect(before.settings).toEqual({});
    expect(before.effective.runnersDir).toEqual({ value: path.join(home, 'runners'), source: 'default' });
    await expect(service.call('runners.inspect', {})).rejects.toMatchObject({ code: 'RUNNER_MISSING' });

    const runners = makeRunners(path.join(home, 'my-runners'), {
      'arm64-v8a': ['onnxruntime_perf_test', 'libQnnHtp.so', 'VERSION=1.22.2'],
    });
    const afterRunners = await service.call('settings.set', { runnersDir: runners });
    expect(afterRunners.effective.runnersDir).toEqual({ value: runners, source: 'settings' });
    expect(watches).toBe(1);
    const check = await service.call('runners.inspect', {});
    expect(check.abis.map((a) => [a.abi, a.binary, a.libs, a.version])).toEqual([
      ['arm64-v8a', true, ['libQnnHtp.so'], '1.22.2'],
    ]);

    const afterAdb = await service.call('settings.set', { adbHost: '10.1.2.3', adbPort: 5999 });
    expect(afterAdb.effective.adbHost).toEqual({ value: '10.1.2.3', source: 'settings' });
    expect(afterAdb.effective.adbPort).toEqual({ value: 5999, source: 'settings' });
    expect(afterAdb.settings).toEqual({ runnersDir: runners, adbHost: '10.1.2.3', adbPort: 5999 });
    expect(watches).toBe(2);
    await new Promise((r) => setTimeout(r, 10));
    expect(events.some((e) => e.type === 'devices.changed')).toBe(true);

    await expect(service.dispatch('settings.set', { adbPort: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(service.dispatch('settings.set', { dataDir: '/x' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(parseApiRequest('settings.set', { runnersDir: null, adbPort: null })).toEqual({
      runnersDir: null,
      adbPort: null,
    });
    service.close();
  });

  it('parses the CLI --adb address', () => {
    expect(parseAdbAddress('10.0.0.2:5038')).toEqual({ adbHost: '10.0.0.2', adbPort: 5038 });
    expect(parseAdbAddress('[::1]:5039')).toEqual({ adbHost: '::1', adbPort: 5039 });
    expect(parseAdbAddress('6000')).toEqual({ adbPort: 6000 });
    expect(() => parseAdbAddress('host:99999')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseAdbAddress('host')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
