/**
 * `pqv sweep`: one command that builds every variant (pruning × quantization), measures its accuracy, and
 * benchmarks it on this computer and on every connected phone and backend; then prints the comparison and
 * optionally writes a PDF report and a CSV. Without `--config` it runs the demo preset. `--resume ID` continues an
 * interrupted sweep; `--list` shows the stored sweeps.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { buildReportData } from '../../engine/report/data.js';
import { renderReportHtml } from '../../engine/report/html.js';
import { exportPdf } from '../../engine/report/pdf.js';
import { runsToCsv } from '../../engine/report/tables.js';
import { listDevices } from '../../engine/devices/index.js';
import { SqliteRunStore } from '../../services/run-store.js';
import { hostname, arch, cpus, platform, release, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { PqvError, isPqvError } from '../../../common/errors.js';
import type { HostInfo } from '../../../common/api.js';
import type { DeviceInfo } from '../../../common/types/devices.js';
import type { SweepEngineEvent, SweepResults, SweepSpec } from '../../../common/types/sweep.js';
import {
  demoPreset,
  effectiveState,
  loadSweepFile,
  resumeSweep,
  runSweep,
  SqliteSweepStore,
} from '../../engine/sweep/index.js';
import { demoPaths } from '../../services/paths.js';
import { printJson, progressBars, runCommand, type CliContext } from '../output.js';
import { formatResults } from '../../engine/sweep/format.js';

interface SweepFlags {
  config?: string;
  devices?: string;
  report?: string;
  csv?: string;
  json?: boolean;
  resume?: string;
  list?: boolean;
  runs?: string;
  warmup?: string;
  evalLimit?: string;
  deviceWait?: string;
}

function count(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new PqvError('INVALID_ARGUMENT', `--${name} must be a whole number ≥ ${min} (got ${v}).`);
  return n;
}

/** Apply command-line overrides to a sweep spec. */
function withOverrides(spec: SweepSpec, f: SweepFlags): SweepSpec {
  const out: SweepSpec = { ...spec, targets: { ...spec.targets }, bench: { ...spec.bench } };
  if (f.devices !== undefined) {
    const d = f.devices.trim();
    out.targets.devices =
      d === 'all' || d === 'host'
        ? d
        : d
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
  }
  const runs = count('runs', f.runs, 1);
  const warmup = count('warmup', f.warmup, 0);
  const evalLimit = count('eval-limit', f.evalLimit, 1);
  const wait = count('device-wait', f.deviceWait, 0);
  if (runs !== undefined) out.bench.runs = runs;
  if (warmup !== undefined) out.bench.warmup = warmup;
  if (evalLimit !== undefined) out.evalLimit = evalLimit;
  if (wait !== undefined) out.deviceWaitMs = wait * 1000;
  return out;
}

function hostInfo(): HostInfo {
  const c = cpus();
  return {
    hostname: hostname(),
    platform: platform(),
    arch: arch(),
    osRelease: release(),
    cpuModel: c[0]?.model ?? 'unknown',
    cpuCount: c.length,
    totalMemBytes: totalmem(),
  };
}

/** Write the PDF report and/or the CSV of every run of the sweep. */
async function writeExports(
  store: SqliteSweepStore,
  results: SweepResults,
  f: SweepFlags,
  signal: AbortSignal,
): Promise<string[]> {
  const written: string[] = [];
  if (!f.report && !f.csv) return written;
  const runs = new SqliteRunStore(store.results).listRuns({ sweepId: results.sweepId });
  // Facts (model, SoC, Android version) of the devices that are still connected; bare serials otherwise.
  const live = await listDevices().catch(() => [] as DeviceInfo[]);
  const devices: DeviceInfo[] = [...new Set(results.targets.map((t) => t.device))].map(
    (s) =>
      live.find((d) => d.serial === s) ??
      (s === 'host' ? { serial: 'host', state: 'host' } : { serial: s, state: 'device' }),
  );
  const reportData = buildReportData({
    runs,
    sweep: { ...results, devices },
    devices,
    host: hostInfo(),
    generatedAt: new Date(),
  });
  if (f.csv) {
    const out = resolve(f.csv);
    await writeFile(out, runsToCsv(runs));
    written.push(out);
  }
  if (f.report) {
    const out = resolve(f.report);
    const html = renderReportHtml(reportData);
    try {
      await exportPdf(html, out, { signal });
      written.push(out);
    } catch (e) {
      // Without Chromium the same report is still written, as an HTML page any browser can print.
      if (!isPqvError(e) || e.code !== 'SYSTEM_DEPENDENCY_MISSING') throw e;
      const htmlOut = `${out.replace(/\.pdf$/i, '')}.html`;
      await mkdir(dirname(htmlOut), { recursive: true });
      await writeFile(htmlOut, html);
      written.push(htmlOut);
      process.stderr.write(`${e.message}\nThe report was written as HTML instead: ${htmlOut}\n`);
    }
  }
  return written;
}

/** Turn engine events into progress bars (TTY) or one line per finished run (logs). */
function progressPrinter(json: boolean): { onEvent: (e: SweepEngineEvent) => void; stop: () => void } {
  const bars = progressBars(!json);
  const tty = !json && process.stderr.isTTY;
  const eta = (ms: number | undefined): string => (ms === undefined ? '' : `ETA ${Math.ceil(ms / 1000)} s`);
  const onEvent = (e: SweepEngineEvent): void => {
    if (json) return;
    if (e.type === 'progress') {
      const stage = e.scope === 'overall' ? 'sweep' : e.scope === 'host' ? 'this computer' : 'phone';
      bars.onProgress({
        stage,
        done: e.done,
        total: e.total,
        detail: eta(e.etaMs),
        ...(e.scope === 'device' && e.device ? { device: e.device } : {}),
      });
    } else if (!tty) {
      if (e.type === 'started')
        process.stderr.write(
          `sweep ${e.sweepId}: ${e.variants} variants × ${e.targets.length} targets = ${e.totalRuns} runs${e.resumed ? ` (${e.doneRuns} already done)` : ''}\n`,
        );
      if (e.type === 'variant-built') {
        const how = e.build.label === 'baseline' ? ' (original model)' : e.cached ? ' (from cache)' : '';
        const dup = e.build.duplicateOf ? `, identical to ${e.build.duplicateOf}` : '';
        process.stderr.write(`built ${e.build.label}${how}${dup}\n`);
      }
      if (e.type === 'variant-evaluated')
        process.stderr.write(`evaluated ${e.variant}: top-1 ${(e.top1 * 100).toFixed(2)} %\n`);
      if (e.type === 'variant-failed')
        process.stderr.write(`variant ${e.variant} failed: ${e.error.code}: ${e.error.message}\n`);
      if (e.type === 'run-finished') {
        const r = e.run;
        const what = r.status === 'ok' ? `p50 ${r.p50Ms?.toFixed(2)} ms` : `${r.status} ${r.error?.code ?? ''}`;
        process.stderr.write(`run ${e.label} on ${r.device}/${r.backend}: ${what}\n`);
      }
      if (e.type === 'device-lost')
        process.stderr.write(
          `${e.device} disconnected; waiting up to ${Math.round(e.waitMs / 1000)} s for it to return\n`,
        );
      if (e.type === 'device-back') process.stderr.write(`${e.device} is back; retrying\n`);
    }
  };
  return { onEvent, stop: bars.stop };
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('sweep')
    .description(
      'Build pruned/quantized variants, measure accuracy, and benchmark them on this computer and every connected phone.',
    )
    .option('--config <file>', 'sweep file (YAML or JSON); default: the demo preset')
    .option('--devices <list>', '"all" (default), "host", or comma-separated adb serials (host = this computer)')
    .option('--report <out.pdf>', 'write a PDF report')
    .option('--csv <out.csv>', 'write every run as CSV')
    .option('--json', 'print the results as JSON')
    .option('--resume <id>', 'continue an interrupted or cancelled sweep')
    .option('--list', 'list stored sweeps')
    .option('--runs <n>', 'override timed runs per benchmark')
    .option('--warmup <n>', 'override warm-up runs per benchmark')
    .option('--eval-limit <n>', 'override the number of test images')
    .option('--device-wait <s>', 'seconds to wait for a phone that disconnected')
    .action(async (flags: SweepFlags) => {
      const json = flags.json === true;
      await runCommand(ctx, json, async () => {
        const store = SqliteSweepStore.open();
        try {
          if (flags.list) {
            const list = store.listSweeps().map((s) => ({
              id: s.id,
              name: s.config.spec.name,
              state: effectiveState(s),
              createdAt: s.createdAt,
              ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
              modelPath: s.config.modelPath,
            }));
            if (json) printJson(list);
            else
              for (const s of list) process.stdout.write(`${s.id}  ${s.state.padEnd(11)}  ${s.createdAt}  ${s.name}\n`);
            return;
          }
          const printer = progressPrinter(json);
          const common = {
            store,
            signal: ctx.signal,
            onEvent: printer.onEvent,
            onCreated: (id: string) => {
              if (!json) process.stderr.write(`Sweep ${id} (resume with: pqv sweep --resume ${id})\n`);
            },
          };
          let results: SweepResults;
          try {
            if (flags.resume) {
              if (flags.config)
                throw new PqvError(
                  'INVALID_ARGUMENT',
                  '--resume continues a stored sweep with its own config; drop --config.',
                );
              results = await resumeSweep(flags.resume, common);
            } else {
              const loaded = flags.config
                ? await loadSweepFile(flags.config)
                : { spec: demoPreset(demoPaths()), baseDir: process.cwd() };
              results = await runSweep(withOverrides(loaded.spec, flags), { ...common, baseDir: loaded.baseDir });
            }
          } finally {
            printer.stop();
          }
          const written = results.state === 'done' ? await writeExports(store, results, flags, ctx.signal) : [];
          if (json) printJson({ ...results, files: written });
          else {
            process.stdout.write(formatResults(results));
            for (const w of written) process.stdout.write(`wrote ${w}\n`);
          }
          if (results.state === 'cancelled') ctx.exitCode = 130;
          else if (results.state === 'failed') ctx.exitCode = 70;
        } finally {
          store.close();
        }
      });
    });
}
