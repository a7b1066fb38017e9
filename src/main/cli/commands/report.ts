/**
 * `pqv report`: write the report of a sweep (or of the stored runs outside sweeps) as PDF, CSV and/or JSON.
 * The PDF is the same page the app prints, rendered by headless Chromium.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { PqvError } from '../../../common/errors.js';
import { renderReportHtml } from '../../engine/report/html.js';
import { exportPdf } from '../../engine/report/pdf.js';
import { runsToCsv, runsToJson } from '../../engine/report/tables.js';
import { createApiService } from '../../services/api-service.js';
import { printJson, runCommand, type CliContext } from '../output.js';

interface ReportOptions {
  pdf?: string;
  csv?: string;
  json?: string;
  sweep?: string;
  html?: string;
  print?: boolean;
}

function write(path: string, text: string): string {
  const abs = resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, text);
  return abs;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('Write the results report (PDF with charts, CSV of every run, JSON of everything).')
    .option('--pdf <out>', 'write the PDF report to this file')
    .option('--csv <out>', 'write every run as CSV to this file')
    .option('--json <out>', 'write the report data as JSON to this file')
    .option('--html <out>', 'write the report page as HTML to this file')
    .option('--sweep <id>', 'report on this sweep (default: runs outside sweeps, else the latest sweep)')
    .option('--print', 'print the written file paths as JSON')
    .action(async (opts: ReportOptions) =>
      runCommand(ctx, !!opts.print, async () => {
        if (!opts.pdf && !opts.csv && !opts.json && !opts.html) {
          throw new PqvError(
            'INVALID_ARGUMENT',
            'Say what to write: --pdf OUT, --csv OUT, --json OUT and/or --html OUT.',
          );
        }
        const service = await createApiService({ mode: 'cli' });
        try {
          const data = await service.reportData(opts.sweep ? { sweepId: opts.sweep } : {});
          const written: Record<string, string> = {};
          const html = renderReportHtml(data);
          if (opts.html) written.html = write(opts.html, html);
          if (opts.csv) written.csv = write(opts.csv, runsToCsv(data.runs));
          if (opts.json) written.json = write(opts.json, runsToJson(data));
          if (opts.pdf) {
            written.pdf = resolve(opts.pdf);
            await exportPdf(html, written.pdf, { signal: ctx.signal });
          }
          if (opts.print) printJson(written);
          else
            for (const [kind, path] of Object.entries(written))
              process.stdout.write(`${kind.toUpperCase()} written to ${path}\n`);
        } finally {
          service.close();
        }
      }),
    );
}
