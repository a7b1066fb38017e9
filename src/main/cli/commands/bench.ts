/**
 * `pqv bench MODEL`: latency benchmark on this computer (`--device host`, default) or on an Android device
 * (`--device SERIAL`); prints the statistics and records the run in the results store unless `--no-store`.
 */
import type { Command } from 'commander';
import { PqvError } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { BACKENDS, type Backend, type BenchOptions, type BenchResult } from '../../../common/types/bench.js';
import { benchOnHost } from '../../engine/bench/host-bench.js';
import { formatBytes, inspectModel } from '../../engine/model/inspect.js';
import { recordStandaloneRun } from '../../engine/store/record.js';
import { printJson, progressBars, runCommand, type CliContext } from '../output.js';
import { parseCount } from './eval.js';

interface BenchFlags {
  device: string;
  backend?: string;
  runs?: string;
  warmup?: string;
  threads?: string;
  input?: string;
  json?: boolean;
  store: boolean;
}

type DeviceBench = (
  serial: string,
  modelPath: string,
  backend: Backend,
  options: BenchOptions,
  op: LongOperationOptions,
) => Promise<BenchResult>;

/** The on-device benchmark, loaded on demand (it pulls in adb support). */
async function loadDeviceBench(): Promise<DeviceBench> {
  let mod: { benchOnDevice?: DeviceBench };
  try {
    mod = (await import('../../engine/devices/device-bench.js')) as { benchOnDevice?: DeviceBench };
  } catch {
    mod = {};
  }
  if (typeof mod.benchOnDevice !== 'function') {
    throw new PqvError(
      'BACKEND_UNSUPPORTED',
      'On-device benchmarks are not available in this build. Use --device host.',
    );
  }
  return mod.benchOnDevice;
}

function parseBackend(device: string, b: string | undefined): Backend {
  const backend = (b ?? (device === 'host' ? 'host' : 'cpu')) as Backend;
  if (!BACKENDS.includes(backend)) {
    throw new PqvError('INVALID_ARGUMENT', `Unknown backend "${b}". Use one of: ${BACKENDS.join(', ')}.`);
  }
  if (device === 'host' && backend !== 'host' && backend !== 'cpu') {
    throw new PqvError(
      'BACKEND_UNSUPPORTED',
      `Backend ${backend} runs on phones only. On this computer use --backend host, or pass --device SERIAL.`,
    );
  }
  if (device !== 'host' && backend === 'host') {
    throw new PqvError(
      'INVALID_ARGUMENT',
      `Backend host means this computer; for device ${device} use cpu, xnnpack, nnapi, gpu or npu.`,
    );
  }
  return backend;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('bench')
    .description('Measure inference latency and peak memory of a model on this computer or on an Android device.')
    .argument('<model>', 'path to an .onnx file')
    .option('--device <serial>', '"host" (this computer) or an adb serial', 'host')
    .option('--backend <name>', `execution backend (${BACKENDS.join(', ')})`)
    .option('--runs <n>', 'timed runs (default 50)')
    .option('--warmup <n>', 'untimed warm-up runs (default 5)')
    .option('--threads <n>', 'intra-op threads (default: runtime decides)')
    .option('--input <file>', 'raw little-endian float32 input (default: seeded random input)')
    .option('--json', 'print the result as JSON')
    .option('--no-store', 'do not record the run in the results store')
    .action(async (model: string, flags: BenchFlags) => {
      const json = flags.json === true;
      await runCommand(ctx, json, async () => {
        const backend = parseBackend(flags.device, flags.backend);
        const options: BenchOptions = {};
        if (flags.runs !== undefined) options.runs = parseCount('runs', flags.runs, 1);
        if (flags.warmup !== undefined) options.warmup = parseCount('warmup', flags.warmup, 0);
        if (flags.threads !== undefined) options.threads = parseCount('threads', flags.threads, 0);
        if (flags.input !== undefined) options.inputPath = flags.input;
        const summary = await inspectModel(model);
        const bars = progressBars(!json);
        const op = { signal: ctx.signal, onProgress: bars.onProgress };
        const startedAt = new Date().toISOString();
        let result: BenchResult;
        try {
          result =
            flags.device === 'host'
              ? await benchOnHost(summary.path, options, op)
              : await (
                  await loadDeviceBench()
                )(flags.device, summary.path, backend, options, op);
        } catch (e) {
          bars.stop();
          if (flags.store) record(summary, flags.device, backend, startedAt, { ok: false, error: e });
          throw e;
        }
        bars.stop();
        if (flags.store) record(summary, flags.device, backend, startedAt, { ok: true, result });
        if (json) printJson(result);
        else process.stdout.write(formatBench(result));
      });
    });
}

function record(
  model: Awaited<ReturnType<typeof inspectModel>>,
  device: string,
  backend: Backend,
  startedAt: string,
  outcome: { ok: true; result: unknown } | { ok: false; error: unknown },
): void {
  const r = recordStandaloneRun({ kind: 'bench', model, device, backend, startedAt, outcome });
  if ('error' in r) process.stderr.write(`warning: the run was not stored: ${r.error}\n`);
}

/** Human-readable benchmark result. */
export function formatBench(r: BenchResult): string {
  const ms = (v: number): string => `${v.toFixed(3)} ms`;
  const rows: Array<[string, string]> = [
    ['Device', `${r.device} (${r.backend})`],
    ['Runs', `${r.runs} timed, ${r.warmup} warm-up, threads ${r.threads || 'auto'}`],
    ['Session init', ms(r.initMs)],
    ['First run', ms(r.firstMs)],
    ['Mean', `${ms(r.meanMs)} ± ${r.stdMs.toFixed(3)}`],
    ['p50 / p90 / p99', `${r.p50Ms.toFixed(3)} / ${r.p90Ms.toFixed(3)} / ${r.p99Ms.toFixed(3)} ms`],
    ['Min / max', `${r.minMs.toFixed(3)} / ${r.maxMs.toFixed(3)} ms`],
    ['Peak memory', formatBytes(r.peakRssBytes)],
  ];
  if (r.placement)
    rows.push([
      'Placement',
      Object.entries(r.placement)
        .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
        .join(', '),
    ]);
  const w = Math.max(...rows.map((x) => x[0].length));
  return `${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}
