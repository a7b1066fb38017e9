/**
 * The demo sweep in browser mode with two virtual phones behind a private adb server: the phones on the Devices
 * view; a small sweep built from the demo preset in the Sweep builder; live progress; the server killed (SIGKILL)
 * after the first runs are stored, restarted over the same data folder and the sweep resumed from History; one
 * phone unplugged mid-sweep (its run marked and retried when it returns while the other phone finishes); charts,
 * PDF report, and the stored results without duplicates.
 *
 * Set PQV_E2E_SHOTS=<folder> to keep screenshots of the Sweep views and PNG pages of the PDF.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { RunEntry, SweepDetail, SweepSummary } from '../../src/common/api.js';
import { DEMO_VARIANTS } from '../../src/main/engine/sweep/preset.js';
import { variantLabel } from '../../src/main/engine/sweep/plan.js';
import { launchBrowser, startApp, type App } from './harness.js';
import { startPhoneRig, type PhoneRig } from './phones.js';

/** What the tests read of a DOM element (the Node typings have no DOM). */
interface ElementLike {
  getAttribute(name: string): string | null;
}
interface CanvasLike {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SHOTS = process.env.PQV_E2E_SHOTS;

/** The sweep built in the UI: the demo preset's first two variants (plus the baseline) on cpu and xnnpack. */
const LABELS = ['baseline', ...DEMO_VARIANTS.slice(0, 2).map(variantLabel)];
const PHONE_BACKENDS = ['cpu', 'xnnpack'];
/** Variants × (host + 2 phones × 2 backends). */
const TOTAL_RUNS = LABELS.length * (1 + 2 * PHONE_BACKENDS.length);

let rig: PhoneRig;
let app: App;
let browser: Browser;
let page: Page;
let sweepId = '';
/** Bench runs stored before the server was killed. */
let beforeKill: RunEntry[] = [];
const problems: string[] = [];
let serverDown = false;

/** Successive distinct `data-done` values of every progress bar of the Progress tab, by test id. */
const progressHistory = new Map<string, string[]>();
let sampling = false;
let sampler: Promise<void> = Promise.resolve();

function startSampling(): void {
  sampling = true;
  sampler = (async () => {
    while (sampling) {
      const snap = await page
        .locator('[data-testid^="sweep-stage-"], [data-testid^="sweep-device-progress-"]')
        .evaluateAll((els) =>
          els.map((el) => {
            const e = el as unknown as ElementLike;
            return [e.getAttribute('data-testid') ?? '', e.getAttribute('data-done') ?? ''] as const;
          }),
        )
        .catch(() => []);
      for (const [id, done] of snap) {
        const seen = progressHistory.get(id) ?? [];
        if (seen[seen.length - 1] !== done) seen.push(done);
        progressHistory.set(id, seen);
      }
      await sleep(200);
    }
  })();
}

async function shot(name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

async function openPage(a: App): Promise<void> {
  await page.goto(a.url);
  serverDown = false;
}

function benchKey(r: RunEntry): string {
  return `${r.variant}|${r.device}|${r.backend}`;
}

/** Count of drawn pixels of a chart canvas, and how many have one of the chart colours. */
async function ink(canvasSelector: string): Promise<Array<{ ink: number; coloured: number }>> {
  return page.locator(canvasSelector).evaluateAll((els) =>
    els.map((el) => {
      const c = el as unknown as CanvasLike;
      const ctx = c.getContext('2d');
      if (!ctx) return { ink: 0, coloured: 0 };
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let painted = 0;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b, a] = [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0, data[i + 3] ?? 0];
        if (a > 0) painted++;
        // Saturated pixels: bars and points (axes, grid and text are grey).
        if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured++;
      }
      return { ink: painted, coloured };
    }),
  );
}

beforeAll(async () => {
  rig = await startPhoneRig(2);
  app = await startApp(rig.env);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
  page.on('console', (m) => {
    // While the server is down, the page's reconnect attempts fail by design.
    if (m.type() === 'error' && !serverDown) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
});

afterAll(async () => {
  if (process.env.PQV_E2E_DEBUG) process.stdout.write(`--- server output ---\n${app?.output()}\n`);
  sampling = false;
  await sampler;
  await browser?.close();
  await app?.stop();
  await rig?.stop();
});

describe('demo sweep on two virtual phones', () => {
  it('shows both phones with their facts on the Devices view', async () => {
    const [a, b] = rig.phones as [(typeof rig.phones)[0], (typeof rig.phones)[0]];
    await openPage(app);
    await page.getByTestId('nav-devices').click();
    const cardA = page.getByTestId(`device-${a.serial}`);
    const cardB = page.getByTestId(`device-${b.serial}`);
    await cardA.waitFor({ timeout: 30_000 });
    await cardB.waitFor({ timeout: 30_000 });
    await expect.poll(async () => cardA.textContent(), { timeout: 30_000 }).toContain('Tensor G3');
    await expect.poll(async () => cardB.textContent(), { timeout: 30_000 }).toContain('Tensor G2');
    const textA = (await cardA.textContent()) ?? '';
    const textB = (await cardB.textContent()) ?? '';
    expect(textA).toContain('Google Pixel 8');
    expect(textB).toContain('Google Pixel 7a');
    for (const t of [textA, textB]) {
      expect(t).toContain('Ready');
      expect(t).toContain('14 (SDK 34)');
      expect(t).toContain('arm64-v8a');
      expect(t).toMatch(/8 cores · big cores/);
      expect(t).toContain('87%');
    }
    expect(await page.getByTestId('device-host').textContent()).toContain(hostname());
  });

  it('builds a small sweep from the demo preset and shows its progress moving', async () => {
    await page.getByTestId('nav-sweep').click();
    await page.getByTestId('sweep-edit-preset-demo').click();
    // Keep the demo preset's first two variants (pruned with recovery, int8).
    await expect.poll(async () => page.locator('tr[data-testid^="sweep-variant-"]').count()).toBe(DEMO_VARIANTS.length);
    for (let i = DEMO_VARIANTS.length - 1; i >= 2; i--) await page.getByTestId(`sweep-variant-remove-${i}`).click();
    expect(await page.locator('tr[data-testid^="sweep-variant-"]').count()).toBe(2);
    await page.getByTestId('sweep-name').fill('Two phones');
    await page.getByTestId('sweep-eval-limit').fill('100');
    await page.getByTestId('sweep-calib-limit').fill('32');
    await page.getByTestId('sweep-runs').fill('3');
    await page.getByTestId('sweep-warmup').fill('1');
    await page.getByTestId('sweep-repeats').fill('1');
    expect(await page.getByTestId('sweep-all-devices').isChecked()).toBe(true);
    await page.getByTestId('sweep-backends-auto').uncheck();
    for (const b of ['cpu', 'xnnpack', 'nnapi', 'gpu', 'npu']) {
      const box = page.getByTestId(`sweep-backend-${b}`).locator('input');
      if (PHONE_BACKENDS.includes(b)) await box.check();
      else await box.uncheck();
    }
    await shot('0-builder');
    startSampling();
    await page.getByTestId('sweep-start').click();
    const live = page.getByTestId('sweep-live');
    await live.waitFor({ timeout: 30_000 });
    expect(await live.getAttribute('data-state')).toBe('running');
    sweepId = (await app.api<SweepSummary[]>('sweep.list'))[0]?.id ?? '';
    expect(sweepId).toMatch(/^sw-/);
    const detail = await app.api<SweepDetail>('sweep.get', { sweepId });
    expect(detail.rows.map((r) => r.label)).toEqual(LABELS);
    expect(detail.targets).toHaveLength(1 + 2 * PHONE_BACKENDS.length);
    expect(detail.spec).toMatchObject({ evalLimit: 100, calibLimit: 32, bench: { runs: 3, warmup: 1, repeats: 1 } });

    // The first benchmarks get stored (and shown) while the rest of the sweep is still to do.
    await expect
      .poll(
        async () =>
          (await app.api<RunEntry[]>('results.list', { sweepId, kind: 'bench' })).filter((r) => r.status === 'ok')
            .length,
        {
          timeout: 120_000,
          interval: 150,
        },
      )
      .toBeGreaterThanOrEqual(1);
    await shot('1-progress-running');
    beforeKill = (await app.api<RunEntry[]>('results.list', { sweepId, kind: 'bench' })).filter(
      (r) => r.status === 'ok',
    );
    serverDown = true;
    await app.kill();
  });

  it('survives a SIGKILL of the server: restarted over the same data, the sweep resumes from History', async () => {
    const home = app.home;
    expect(beforeKill.length).toBeGreaterThanOrEqual(1);

    app = await startApp(rig.env, { home });
    await openPage(app);
    await page.getByTestId('nav-sweep').click();
    await page.getByTestId('sweep-tab-history').click();
    const row = page.getByTestId(`sweep-history-row-${sweepId}`);
    await row.waitFor();
    // A sweep still marked running that no process runs any more was interrupted: it can be resumed.
    expect(await row.textContent()).toContain('paused');
    // What was stored before the kill is still there (a run may have finished between the last look and the kill).
    const stored = (await app.api<RunEntry[]>('results.list', { sweepId, kind: 'bench' })).filter(
      (r) => r.status === 'ok',
    );
    expect(stored.map((r) => r.id)).toEqual(expect.arrayContaining(beforeKill.map((r) => r.id)));
    expect(stored.length).toBeLessThan(TOTAL_RUNS);
    beforeKill = stored;
    await shot('2-history-interrupted');

    await page.getByTestId(`sweep-resume-${sweepId}`).click();
    await page.locator('[data-testid=sweep-live][data-state=running]').waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => page.getByTestId('sweep-log').textContent())
      .toMatch(/Resumed: \d+ of \d+ runs already done/);
  });

  it('marks the runs of an unplugged phone, lets the other phone finish, and retries them when it returns', async () => {
    const [a, b] = rig.phones as [(typeof rig.phones)[0], (typeof rig.phones)[0]];
    await rig.unplug(a);
    const progA = page.getByTestId(`sweep-device-progress-${a.serial}`);
    await page
      .locator(`[data-testid="sweep-device-progress-${a.serial}"][data-state=lost]`)
      .waitFor({ timeout: 60_000 });
    expect(await progA.textContent()).toMatch(/Disconnected .*DEVICE_(NOT_FOUND|DISCONNECTED|OFFLINE)/);
    // The run is stored as failed with the device error and a retry hint.
    const marked = await app.api<SweepDetail>('sweep.get', { sweepId });
    const failedOnA = marked.rows.flatMap((r) => r.cells).filter((c) => c.device === a.serial && c.status === 'failed');
    expect(failedOnA.length).toBeGreaterThanOrEqual(1);
    expect(failedOnA[0]?.error?.code).toMatch(/^DEVICE_/);
    expect(failedOnA[0]?.error?.hint).toMatch(/retried when it comes back/);
    await expect
      .poll(async () => page.getByTestId('sweep-results-table').locator('.pill-bad').count(), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(1);

    // The other phone goes on and finishes while the first one is away.
    const progB = page.getByTestId(`sweep-device-progress-${b.serial}`);
    const perPhone = String(LABELS.length * PHONE_BACKENDS.length);
    await expect
      .poll(async () => `${await progB.getAttribute('data-done')}/${await progB.getAttribute('data-total')}`, {
        timeout: 90_000,
      })
      .toBe(`${perPhone}/${perPhone}`);
    expect(await progA.getAttribute('data-state')).toBe('lost');
    await shot('3-progress-phone-unplugged');

    await rig.plug(a);
    await page.locator('[data-testid=sweep-live][data-state=done]').waitFor({ timeout: 120_000 });
    sampling = false;
    await sampler;
    expect(await progA.getAttribute('data-state')).toBe('ok');
    expect(await page.getByTestId('sweep-log').textContent()).toContain(`${a.serial} is back.`);
    await shot('4-progress-done');

    // Progress moved: every stage and device bar went through several values.
    for (const stage of ['compress', 'evaluate', 'benchmark']) {
      expect(progressHistory.get(`sweep-stage-${stage}`)?.length ?? 0).toBeGreaterThanOrEqual(2);
    }
    expect(progressHistory.get('sweep-stage-benchmark')?.length ?? 0).toBeGreaterThanOrEqual(4);
    for (const serial of [a.serial, b.serial]) {
      expect(progressHistory.get(`sweep-device-progress-${serial}`)?.length ?? 0).toBeGreaterThanOrEqual(2);
    }
  });

  it('stores every run exactly once, all ok, the runs from before the kill kept as they were', async () => {
    const [a] = rig.phones as [(typeof rig.phones)[0]];
    const detail = await app.api<SweepDetail>('sweep.get', { sweepId });
    expect(detail.state).toBe('done');
    expect(detail.counts).toEqual({ total: TOTAL_RUNS, ok: TOTAL_RUNS, failed: 0, pending: 0 });
    const bench = await app.api<RunEntry[]>('results.list', { sweepId, kind: 'bench' });
    expect(bench).toHaveLength(TOTAL_RUNS);
    expect(new Set(bench.map(benchKey)).size).toBe(TOTAL_RUNS);
    expect(bench.every((r) => r.status === 'ok' && (r.bench?.p50Ms ?? 0) > 0)).toBe(true);
    expect(bench.filter((r) => r.device === a.serial)).toHaveLength(LABELS.length * PHONE_BACKENDS.length);
    for (const r of beforeKill) {
      expect(bench.find((x) => x.id === r.id)).toMatchObject({
        createdAt: r.createdAt,
        bench: { p50Ms: r.bench?.p50Ms },
      });
    }
    const evals = await app.api<RunEntry[]>('results.list', { sweepId, kind: 'eval' });
    expect(evals.map((r) => r.variant).sort()).toEqual([...LABELS].sort());
    expect(evals.every((r) => r.status === 'ok' && r.eval?.n === 100)).toBe(true);
  });

  it('draws the backend comparison and trade-off charts with legends naming the backends', async () => {
    const [a, b] = rig.phones as [(typeof rig.phones)[0], (typeof rig.phones)[0]];
    await page.getByTestId('sweep-tab-results').click();
    const table = page.getByTestId('sweep-results-table');
    await expect.poll(async () => table.locator('tbody tr').count()).toBe(TOTAL_RUNS);
    await expect.poll(async () => table.locator('.pill-ok').count()).toBe(TOTAL_RUNS);
    const boxes = page.locator('[data-testid=sweep-backend-chart] .chart-box');
    await expect.poll(async () => boxes.count()).toBe(3);
    const legends = await boxes.evaluateAll((els) =>
      els.map((el) => (el as unknown as ElementLike).getAttribute('data-legend')),
    );
    expect(legends).toEqual(['host', 'cpu|xnnpack', 'cpu|xnnpack']);
    const chartText = await page.getByTestId('sweep-backend-chart').textContent();
    expect(chartText).toContain('Backend comparison');
    for (const c of await ink('[data-testid=sweep-backend-chart] canvas')) {
      expect(c.ink).toBeGreaterThan(1000);
      expect(c.coloured).toBeGreaterThan(300);
    }
    const trade = page.locator('[data-testid=sweep-tradeoff-chart] .chart-box');
    expect(await trade.getAttribute('data-legend')).toMatch(/^Pareto front\|Dominated$/);
    // The trade-off chart of a phone target.
    await page.locator('[data-testid=sweep-tradeoff-chart] select').selectOption(`${b.serial} · xnnpack`);
    const [scatter] = await ink('[data-testid=sweep-tradeoff-chart] canvas');
    expect(scatter?.ink).toBeGreaterThan(1000);
    expect(scatter?.coloured).toBeGreaterThan(50);
    const filter = page.getByTestId('sweep-filter-device').locator('option');
    const values = await filter.evaluateAll((els) =>
      els.map((el) => (el as unknown as ElementLike).getAttribute('value')),
    );
    expect(values.sort()).toEqual(['', 'host', a.serial, b.serial].sort());
    const names = (await filter.allTextContents()).map((t) => t.trim());
    expect(names).toEqual(
      expect.arrayContaining(['This computer', `Google Pixel 8 · ${a.serial}`, `Google Pixel 7a · ${b.serial}`]),
    );
    await shot('5-results');
  });

  it('exports a PDF listing every device and every variant', async () => {
    const [a, b] = rig.phones as [(typeof rig.phones)[0], (typeof rig.phones)[0]];
    await page.getByTestId('export-pdf').click();
    await expect
      .poll(async () => (await page.getByTestId('report-file').getAttribute('data-path')) ?? '', { timeout: 120_000 })
      .toContain(`pqv-report-${sweepId}-`);
    const path = (await page.getByTestId('report-file').getAttribute('data-path')) ?? '';
    const text = execFileSync('pdftotext', ['-layout', path, '-'], { encoding: 'utf8' });
    expect(text).toContain('Sweep report: Two phones');
    expect(text).toContain(`This computer (${hostname()})`);
    expect(text).toContain(`Google Pixel 8 (${a.serial}): Tensor G3, Android 14`);
    expect(text).toContain(`Google Pixel 7a (${b.serial}): Tensor G2, Android 14`);
    expect(text).toContain('Latency on This computer');
    expect(text).toContain(`Latency on Google Pixel 8 (${a.serial})`);
    expect(text).toContain(`Latency on Google Pixel 7a (${b.serial})`);
    for (const label of LABELS) {
      // Each variant has a row per target in the results table.
      const rows = text
        .split('\n')
        .filter((l) => new RegExp(`^\\s*${label}\\s+(host|127\\.0\\.0\\.1:\\d+)\\s`).test(l));
      expect(rows.length, label).toBe(1 + 2 * PHONE_BACKENDS.length);
    }
    if (SHOTS) execFileSync('pdftoppm', ['-png', '-r', '60', path, join(SHOTS, 'report')]);
    await page.getByTestId('sweep-tab-history').click();
    await expect.poll(async () => page.getByTestId(`sweep-history-row-${sweepId}`).textContent()).toContain('done');
    await shot('6-history');
  });

  it('showed no errors in the page while the server was up', () => {
    expect(problems).toEqual([]);
  });
});
