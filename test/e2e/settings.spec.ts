import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, startApp, type App } from './harness.js';

let app: App;
let browser: Browser;
let page: Page;
let runners: string;
const problems: string[] = [];

beforeAll(async () => {
  runners = mkdtempSync(join(tmpdir(), 'pqv-e2e-runners-'));
  const abi = join(runners, 'arm64-v8a');
  mkdirSync(abi);
  writeFileSync(join(abi, 'onnxruntime_perf_test'), '#!/system/bin/sh\n');
  writeFileSync(join(abi, 'libQnnHtp.so'), 'stand-in QNN HTP backend\n');
  writeFileSync(join(abi, 'VERSION'), '1.22.2\n');
  // The server must not pick up runners or an adb address from the environment of the test run.
  app = await startApp({ PQV_RUNNERS: '', PQV_ADB_PORT: '', ADB_SERVER_SOCKET: '' });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  rmSync(runners, { recursive: true, force: true });
});

describe('Settings view', () => {
  it('shows the data folder and the default runners folder', async () => {
    await page.goto(app.url);
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-runners').waitFor();
    expect(await page.getByTestId('data-dir').textContent()).toBe(app.home);
    expect(await page.getByTestId('settings-file').textContent()).toBe(join(app.home, 'settings.json'));
    expect(await page.getByTestId('runners-in-use').textContent()).toBe(join(app.home, 'runners'));
    expect(await page.getByTestId('adb-effective').textContent()).toBe('127.0.0.1:5037');
    expect(await page.getByTestId('runners-help').textContent()).toContain('--build_shared_lib');
  });

  it('checks a runners folder: ABI, binary, QNN library and version', async () => {
    await page.getByTestId('runners-dir').fill(runners);
    await page.getByTestId('runners-check').click();
    await page.getByTestId('runners-result').waitFor();
    expect(await page.getByTestId('runner-abi-arm64-v8a').isVisible()).toBe(true);
    expect(await page.getByTestId('runner-binary-arm64-v8a').textContent()).toContain('Present');
    expect(await page.getByTestId('runner-libs-arm64-v8a').textContent()).toContain('libQnnHtp.so');
    expect(await page.getByTestId('runner-backends-arm64-v8a').textContent()).toBe('NPU');
    expect(await page.getByTestId('runner-version-arm64-v8a').textContent()).toBe('1.22.2');
    // libQnnHtp.so without its skel library: the NPU warning names what is missing.
    expect(await page.getByTestId('runner-warnings-arm64-v8a').textContent()).toContain('BACKEND_UNSUPPORTED');
  });

  it('saves the runners folder to the settings file, and it survives a reload', async () => {
    await page.getByTestId('runners-save').click();
    await page.getByTestId('runners-note').waitFor();
    expect(JSON.parse(readFileSync(join(app.home, 'settings.json'), 'utf8'))).toEqual({ runnersDir: runners });
    await page.reload();
    await page.getByTestId('settings-runners').waitFor();
    await expect.poll(() => page.getByTestId('runners-dir').inputValue()).toBe(runners);
    expect(await page.getByTestId('runners-in-use').textContent()).toBe(runners);
    const info = await app.api<{ effective: { runnersDir: { source: string } } }>('settings.get');
    expect(info.effective.runnersDir.source).toBe('settings');
  });

  it('shows the coded error for a folder that does not exist', async () => {
    const missing = join(runners, 'no-such-folder');
    await page.getByTestId('runners-dir').fill(missing);
    await page.getByTestId('runners-check').click();
    await page.getByTestId('runners-error').waitFor();
    const text = await page.getByTestId('runners-error').textContent();
    expect(text).toContain('RUNNER_MISSING');
    expect(text).toContain(`No runners folder at ${missing}`);
    expect(problems.filter((p) => !p.includes('Failed to load resource'))).toEqual([]);
  });
});
