/**
 * PDF export in the desktop shell: the report page is loaded in a hidden, script-less window and printed with
 * `webContents.printToPDF`.
 */
import { BrowserWindow } from 'electron';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PqvError } from '../../common/errors.js';

export async function printHtmlToPdf(html: string, outPath: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pqv-report-'));
  const page = join(dir, 'report.html');
  writeFileSync(page, html);
  const win = new BrowserWindow({
    show: false,
    webPreferences: { javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false },
  });
  try {
    await win.loadFile(page);
    const pdf = await win.webContents.printToPDF({
      pageSize: 'A4',
      printBackground: true,
      margins: { top: 0.55, bottom: 0.55, left: 0.47, right: 0.47 },
    });
    mkdirSync(dirname(outPath), { recursive: true });
    writeFileSync(outPath, pdf);
  } catch (e) {
    throw new PqvError('REPORT_FAILED', `Printing the report failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    win.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}
