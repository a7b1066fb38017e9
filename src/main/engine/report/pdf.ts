/**
 * PDF export of the report page with headless Chromium through playwright-core. The browser is the system one
 * (`/usr/bin/chromium`, or `PQV_CHROMIUM`); a missing browser is the coded error SYSTEM_DEPENDENCY_MISSING.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CancelledError, PqvError } from '../../../common/errors.js';

/** Flags for a quiet, offline, headless Chromium. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Path of the Chromium binary: `PQV_CHROMIUM` or `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.PQV_CHROMIUM || '/usr/bin/chromium';
}

/** Throw SYSTEM_DEPENDENCY_MISSING unless the Chromium binary exists. */
export function requireChromium(): string {
  const path = chromiumPath();
  if (!existsSync(path)) {
    throw new PqvError(
      'SYSTEM_DEPENDENCY_MISSING',
      `Chromium is needed to write PDF reports but was not found at ${path}. Install it with: sudo apt-get install -y chromium (or set PQV_CHROMIUM to a Chromium binary).`,
      { dependency: 'chromium', path },
    );
  }
  return path;
}

export interface ExportPdfOptions {
  signal?: AbortSignal;
}

/** Print `html` to an A4 PDF at `outPath`. */
export async function exportPdf(html: string, outPath: string, opts: ExportPdfOptions = {}): Promise<void> {
  const executablePath = requireChromium();
  const { chromium } = await import('playwright-core');
  if (opts.signal?.aborted) throw new CancelledError();
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS }).catch((e: unknown) => {
    throw new PqvError('REPORT_FAILED', `Chromium could not start: ${e instanceof Error ? e.message : String(e)}`);
  });
  const onAbort = (): void => void browser.close();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    mkdirSync(dirname(outPath), { recursive: true });
    await page.pdf({
      path: outPath,
      format: 'A4',
      printBackground: true,
      margin: { top: '14mm', bottom: '14mm', left: '12mm', right: '12mm' },
    });
  } catch (e) {
    if (opts.signal?.aborted) throw new CancelledError();
    if (e instanceof PqvError) throw e;
    throw new PqvError(
      'REPORT_FAILED',
      `Writing the PDF failed: ${e instanceof Error ? e.message : String(e)}. Check that ${dirname(outPath)} is writable.`,
    );
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await browser.close().catch(() => undefined);
  }
}
