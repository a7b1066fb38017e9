import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { DEMO_VARIANTS } from '../../src/main/engine/sweep/preset.js';
import { variantLabel } from '../../src/main/engine/sweep/plan.js';
import { ROOT, launchBrowser, startApp, type App } from './harness.js';

/** The part of a canvas element the pixel check uses (the Node typings have no DOM). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

let app: App;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  app = await startApp();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('browser mode', () => {
  it('listens on 127.0.0.1 only', async () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    expect(await canConnect('127.0.0.1', app.port)).toBe(true);
    // Another loopback address reaches every socket bound to 0.0.0.0, but not one bound to 127.0.0.1.
    expect(await canConnect('127.0.0.2', app.port)).toBe(false);
  });

  it('refuses API calls without the token', async () => {
    const res = await fetch(`${app.origin}/api/app.info`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const ok = await fetch(`${app.origin}/api/app.info`, {
      method: 'POST',
      body: '{}',
      headers: { Authorization: `Bearer ${app.token}` },
    });
    expect(ok.status).toBe(200);
  });

  it('opens the demo model and shows its summary', async () => {
    await page.goto(app.url);
    await page.getByTestId('load-demo').click();
    const summary = page.getByTestId('model-summary');
    await summary.waitFor();
    expect(await page.getByTestId('summary-opset').textContent()).toBe('17');
    expect(await page.getByTestId('summary-params').textContent()).toBe('2.68 M');
    expect(await page.getByTestId('summary-io').textContent()).toContain('pixel_values');
    expect(await page.getByTestId('op-histogram').textContent()).toContain('MatMul');
  });

  it('runs a host benchmark and draws its chart', async () => {
    await page.getByTestId('goto-bench').click();
    await page.getByTestId('bench-runs').fill('10');
    await page.getByTestId('bench-warmup').fill('2');
    await page.getByTestId('run-bench').click();
    await page.locator('[data-testid=job-bench][data-status=ok]').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('job-summary').textContent()).toMatch(/^p50 \d+\.\d\d ms · p90 \d+\.\d\d ms/);
    const row = page.getByTestId('run-row-bench');
    expect(await row.count()).toBe(1);
    const canvas = page.locator('[data-testid=bench-chart] canvas');
    await canvas.waitFor();
    // The chart is drawn: a good share of its pixels are not transparent and some are the bar colour.
    const painted = await canvas.evaluate((el) => {
      const c = el as unknown as CanvasLike;
      const ctx = c.getContext('2d');
      if (!ctx) return { ink: 0, bar: 0 };
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let ink = 0;
      let bar = 0;
      for (let i = 0; i < data.length; i += 4) {
        if ((data[i + 3] ?? 0) > 0) ink++;
        if (data[i] === 0x4f && data[i + 1] === 0x6b && data[i + 2] === 0xed) bar++;
      }
      return { ink, bar };
    });
    expect(painted.ink).toBeGreaterThan(1000);
    expect(painted.bar).toBeGreaterThan(200);
  });

  it('exports a PDF report whose text names the model and the measured p50', async () => {
    const p50 = (await page.getByTestId('run-row-bench').locator('td').nth(5).textContent())?.trim() ?? '';
    expect(p50).toMatch(/^\d+(\.\d+)?$/);
    const download = page.waitForEvent('download');
    await page.getByTestId('export-pdf').click();
    const file = page.getByTestId('report-file');
    await file.waitFor({ timeout: 120_000 });
    expect((await download).suggestedFilename()).toMatch(/^pqv-report-.*\.pdf$/);
    const path = (await file.getAttribute('data-path')) ?? '';
    expect(path.startsWith(app.home)).toBe(true);
    expect(existsSync(path)).toBe(true);
    const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
    expect(text).toContain('Benchmark report');
    expect(text).toContain('fmnist-deit-op17.onnx');
    expect(text).toContain('Latency on This computer');
    expect(text).toMatch(new RegExp(`host\\s+host\\s+${p50.replace('.', '\\.')}\\s`));
  });
});

describe('upload and sweep', () => {
  it('uploads a model file into the data folder and inspects it', async () => {
    await page.getByTestId('nav-model').click();
    await page.getByTestId('upload-input').setInputFiles(`${ROOT}/resources/demo/fmnist-deit-op17.onnx`);
    await expect
      .poll(async () => page.getByTestId('model-path').inputValue())
      .toBe(`${app.home}/uploads/fmnist-deit-op17.onnx`);
    await page.getByTestId('model-summary').waitFor();
    expect(await page.getByTestId('summary-params').textContent()).toBe('2.68 M');
  });

  it("loads the demo preset's recovery into the builder; the label preview follows the choice", async () => {
    await page.getByTestId('nav-sweep').click();
    await page.getByTestId('sweep-edit-preset-demo').click();
    await expect.poll(async () => page.locator('tr[data-testid^="sweep-variant-"]').count()).toBe(DEMO_VARIANTS.length);
    const pruned = DEMO_VARIANTS.flatMap((v, i) => (v.prune ? [i] : []));
    expect(pruned.length).toBeGreaterThan(0);
    for (const [i, v] of DEMO_VARIANTS.entries()) {
      const recover = page.getByTestId(`sweep-variant-recover-${i}`);
      expect(await recover.count()).toBe(v.prune ? 1 : 0);
      if (v.prune) expect(await recover.inputValue()).toBe(v.prune.recover ?? 'none');
      // The preview is the label the engine will generate.
      expect(await page.getByTestId(`sweep-variant-label-${i}`).getAttribute('placeholder')).toBe(variantLabel(v));
    }
    const i = pruned[0] ?? 0;
    const v = DEMO_VARIANTS[i] ?? {};
    const label = page.getByTestId(`sweep-variant-label-${i}`);
    for (const choice of ['distill', 'both', 'none', 'reconstruct'] as const) {
      await page.getByTestId(`sweep-variant-recover-${i}`).selectOption(choice);
      const prune = v.prune && { ...v.prune, ...(choice === 'none' ? { recover: undefined } : { recover: choice }) };
      expect(await label.getAttribute('placeholder')).toBe(variantLabel({ ...v, ...(prune ? { prune } : {}) }));
    }
    expect(await label.getAttribute('placeholder')).toMatch(/-rec(\+|$)/);
    // A new pruned row starts with reconstruction; so does ticking "Prune" on a row that had none.
    await page.getByTestId('sweep-add-variant').click();
    const added = DEMO_VARIANTS.length;
    expect(await page.getByTestId(`sweep-variant-recover-${added}`).inputValue()).toBe('reconstruct');
    expect(await page.getByTestId(`sweep-variant-label-${added}`).getAttribute('placeholder')).toBe('l2-mlp-30-rec');
    const plain = DEMO_VARIANTS.findIndex((x) => !x.prune);
    expect(plain).toBeGreaterThanOrEqual(0);
    await page.getByTestId(`sweep-variant-prune-${plain}`).check();
    expect(await page.getByTestId(`sweep-variant-recover-${plain}`).inputValue()).toBe('reconstruct');
  });

  it('runs the quick host-only sweep and shows its results, charts and PDF', async () => {
    await page.getByTestId('nav-sweep').click();
    await page.getByTestId('sweep-preset-quick').click();
    await page.locator('[data-testid=sweep-live][data-state=done]').waitFor({ timeout: 200_000 });
    await page.getByTestId('sweep-tab-results').click();
    const table = page.getByTestId('sweep-results-table');
    await table.waitFor();
    await expect.poll(async () => table.locator('tbody tr').count()).toBe(3);
    expect(await table.textContent()).toContain('baseline');
    expect(await page.locator('[data-testid=sweep-tradeoff-chart] canvas').count()).toBe(1);
    await page.getByTestId('sweep-filter').fill('int8');
    await expect.poll(async () => table.locator('tbody tr').count()).toBe(1);
    await page.getByTestId('export-pdf').click();
    await expect
      .poll(async () => (await page.getByTestId('report-file').getAttribute('data-path')) ?? '', { timeout: 120_000 })
      .toMatch(/pqv-report-sw-/);
    const path = (await page.getByTestId('report-file').getAttribute('data-path')) ?? '';
    const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
    expect(text).toContain('Sweep report: Quick sweep');
    expect(text).toContain('Accuracy vs latency');
    expect(text).toMatch(/baseline\s+host\s+host\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+ MB\s+1\.00×/);
  });

  it('showed no errors or CSP violations in the page', () => {
    expect(problems).toEqual([]);
  });
});
