import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSettings, settingsPath, updateSettings, writeSettings } from '../../../src/main/engine/store/settings.js';
import { resolveAdbServer } from '../../../src/main/engine/devices/adb-server.js';
import { resolveRunner, runnersRoot } from '../../../src/main/engine/devices/runners.js';
import { settingsInfo } from '../../../src/main/engine/devices/device-settings.js';
import { makeRunners } from './runners-fixture.js';

let home: string;
const saved: Record<string, string | undefined> = {};
const ENV_KEYS = ['PQV_HOME', 'PQV_RUNNERS', 'PQV_ADB_PORT', 'ADB_SERVER_SOCKET'];

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-settings-'));
  for (const k of ENV_KEYS) saved[k] = process.env[k];
});
afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(home, { recursive: true, force: true });
});

describe('settings file', () => {
  it('reads {} without a file, saves changes atomically and clears fields with null', () => {
    expect(readSettings(home)).toEqual({});
    const runners = makeRunners(path.join(home, 'runners'), { 'arm64-v8a': ['onnxruntime_perf_test'] });
    const rel = path.relative(process.cwd(), runners);
    expect(updateSettings({ runnersDir: rel, adbPort: 5038 }, home)).toEqual({ runnersDir: runners, adbPort: 5038 });
    expect(updateSettings({ adbHost: '10.0.0.7' }, home)).toEqual({
      runnersDir: runners,
      adbPort: 5038,
      adbHost: '10.0.0.7',
    });
    expect(JSON.parse(fs.readFileSync(settingsPath(home), 'utf8'))).toEqual({
      runnersDir: runners,
      adbPort: 5038,
      adbHost: '10.0.0.7',
    });
    expect(updateSettings({ adbPort: null, runnersDir: null }, home)).toEqual({ adbHost: '10.0.0.7' });
    expect(readSettings(home)).toEqual({ adbHost: '10.0.0.7' });
    // Only the settings file (plus the runners folder) is left: no temporary files.
    expect(fs.readdirSync(home).sort()).toEqual(['runners', 'settings.json']);
  });

  it('rejects bad values with coded errors and leaves the file as it was', () => {
    writeSettings({ adbPort: 6000 }, home);
    expect(() => updateSettings({ adbPort: 70000 }, home)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => updateSettings({ adbHost: 'bad host; rm' }, home)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => updateSettings({ runnersDir: path.join(home, 'nope') }, home)).toThrow(
      expect.objectContaining({ code: 'RUNNER_MISSING', message: expect.stringContaining('nope') }),
    );
    expect(readSettings(home)).toEqual({ adbPort: 6000 });
  });

  it('reports a broken file as SETTINGS_INVALID, and saving replaces it', () => {
    fs.writeFileSync(settingsPath(home), '{"adbPort": ');
    expect(() => readSettings(home)).toThrow(expect.objectContaining({ code: 'SETTINGS_INVALID' }));
    fs.writeFileSync(settingsPath(home), JSON.stringify({ adbPort: 'x' }));
    expect(() => readSettings(home)).toThrow(
      expect.objectContaining({ code: 'SETTINGS_INVALID', message: expect.stringContaining('adbPort') }),
    );
    expect(updateSettings({ adbHost: 'phone-hub' }, home)).toEqual({ adbHost: 'phone-hub' });
    expect(readSettings(home)).toEqual({ adbHost: 'phone-hub' });
  });
});

describe('precedence: option > env > settings > default', () => {
  it('applies to the adb server address', () => {
    const env = { PQV_HOME: home };
    expect(resolveAdbServer({}, env)).toMatchObject({ host: '127.0.0.1', port: 5037 });
    writeSettings({ adbHost: '10.0.0.7', adbPort: 5038 }, home);
    expect(resolveAdbServer({}, env)).toMatchObject({ host: '10.0.0.7', port: 5038 });
    // PQV_ADB_PORT replaces the port only; ADB_SERVER_SOCKET the whole address.
    expect(resolveAdbServer({}, { ...env, PQV_ADB_PORT: '6001' })).toMatchObject({ host: '10.0.0.7', port: 6001 });
    expect(resolveAdbServer({}, { ...env, ADB_SERVER_SOCKET: 'tcp:6002' })).toMatchObject({
      host: '127.0.0.1',
      port: 6002,
    });
    expect(resolveAdbServer({ host: 'h', port: 7000 }, { ...env, PQV_ADB_PORT: '6001' })).toMatchObject({
      host: 'h',
      port: 7000,
    });
    expect(settingsInfo({ ...env, PQV_ADB_PORT: '6001' }).effective).toMatchObject({
      adbHost: { value: '10.0.0.7', source: 'settings' },
      adbPort: { value: 6001, source: 'env', envVar: 'PQV_ADB_PORT' },
    });
  });

  it('applies to the runners folder, down to the benchmark runner lookup', async () => {
    const env = { PQV_HOME: home };
    expect(runnersRoot(env)).toEqual({ value: path.join(home, 'runners'), source: 'default' });
    const fromSettings = makeRunners(path.join(home, 'a'), { 'arm64-v8a': ['onnxruntime_perf_test'] });
    const fromEnv = makeRunners(path.join(home, 'b'), { 'arm64-v8a': ['onnxruntime_perf_test'] });
    const fromOption = makeRunners(path.join(home, 'c'), { 'arm64-v8a': ['onnxruntime_perf_test'] });
    updateSettings({ runnersDir: fromSettings }, home);
    expect(runnersRoot(env)).toEqual({ value: fromSettings, source: 'settings' });
    expect(runnersRoot({ ...env, PQV_RUNNERS: fromEnv })).toEqual({
      value: fromEnv,
      source: 'env',
      envVar: 'PQV_RUNNERS',
    });

    process.env.PQV_HOME = home;
    delete process.env.PQV_RUNNERS;
    expect((await resolveRunner(['arm64-v8a'])).dir).toBe(path.join(fromSettings, 'arm64-v8a'));
    process.env.PQV_RUNNERS = fromEnv;
    expect((await resolveRunner(['arm64-v8a'])).dir).toBe(path.join(fromEnv, 'arm64-v8a'));
    expect((await resolveRunner(['arm64-v8a'], { runnersDir: fromOption })).dir).toBe(
      path.join(fromOption, 'arm64-v8a'),
    );
  });

  it('falls back to <data folder>/runners, and says how to configure runners when it is missing', async () => {
    process.env.PQV_HOME = home;
    delete process.env.PQV_RUNNERS;
    await expect(resolveRunner(['arm64-v8a'])).rejects.toMatchObject({
      code: 'RUNNER_MISSING',
      message: expect.stringContaining('Settings'),
    });
    makeRunners(path.join(home, 'runners'), { 'arm64-v8a': ['onnxruntime_perf_test', 'libonnxruntime.so'] });
    const r = await resolveRunner(['arm64-v8a']);
    expect(r.dir).toBe(path.join(home, 'runners', 'arm64-v8a'));
    expect(r.files.map((f) => f.name)).toEqual(['libonnxruntime.so', 'onnxruntime_perf_test']);
  });
});
