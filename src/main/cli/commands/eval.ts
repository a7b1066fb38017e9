/**
 * `pqv eval MODEL --data DIR`: top-1/top-5 accuracy on a labelled image folder; records the run in the results
 * store unless `--no-store`. Also exports the flag parsers shared by the core commands.
 */
import type { Command } from 'commander';
import { PqvError } from '../../../common/errors.js';
import type { EvalResult, PreprocessConfig } from '../../../common/types/evaluate.js';
import { evaluateModel } from '../../engine/evaluate/evaluate.js';
import { inspectModel } from '../../engine/model/inspect.js';
import { recordStandaloneRun } from '../../engine/store/record.js';
import { printJson, progressBars, runCommand, type CliContext } from '../output.js';

interface EvalFlags {
  data: string;
  limit?: string;
  batch?: string;
  size?: string;
  channels?: string;
  mean?: string;
  std?: string;
  json?: boolean;
  store: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description('Measure top-1/top-5 accuracy of an image classifier on a labelled image folder.')
    .argument('<model>', 'path to an .onnx file')
    .requiredOption('--data <dir>', 'dataset folder: one sub-folder per class, or a folder with labels.csv')
    .option('--limit <n>', 'evaluate a deterministic class-balanced subset of n images')
    .option('--batch <n>', 'batch size (default 32; a fixed model batch size wins)')
    .option('--size <HxW>', 'input size, overrides the model preprocessing')
    .option('--channels <1|3>', 'input channels, overrides the model preprocessing')
    .option('--mean <a,b,c>', 'per-channel mean, overrides the model preprocessing')
    .option('--std <a,b,c>', 'per-channel std, overrides the model preprocessing')
    .option('--json', 'print the result as JSON')
    .option('--no-store', 'do not record the run in the results store')
    .action(async (model: string, flags: EvalFlags) => {
      const json = flags.json === true;
      await runCommand(ctx, json, async () => {
        const preprocess = preprocessOverrides(flags);
        const limit = flags.limit !== undefined ? parseCount('limit', flags.limit, 1) : undefined;
        const batchSize = flags.batch !== undefined ? parseCount('batch', flags.batch, 1) : undefined;
        const summary = await inspectModel(model);
        const bars = progressBars(!json);
        const startedAt = new Date().toISOString();
        let result: EvalResult;
        try {
          result = await evaluateModel(
            { modelPath: summary.path, dataDir: flags.data, limit, batchSize, preprocess },
            { signal: ctx.signal, onProgress: bars.onProgress },
          );
        } catch (e) {
          bars.stop();
          if (flags.store) record(summary, startedAt, { ok: false, error: e });
          throw e;
        }
        bars.stop();
        if (flags.store)
          record(summary, startedAt, { ok: true, result: { ...result, dataDir: flags.data, limit: limit ?? null } });
        if (json) printJson(result);
        else {
          process.stdout.write(
            `top-1  ${(result.top1 * 100).toFixed(2)}%\ntop-5  ${(result.top5 * 100).toFixed(2)}%\nimages ${result.n}\n`,
          );
        }
      });
    });
}

function record(
  model: Awaited<ReturnType<typeof inspectModel>>,
  startedAt: string,
  outcome: { ok: true; result: unknown } | { ok: false; error: unknown },
): void {
  const r = recordStandaloneRun({ kind: 'eval', model, device: 'host', backend: 'host', startedAt, outcome });
  if ('error' in r) process.stderr.write(`warning: the run was not stored: ${r.error}\n`);
}

function preprocessOverrides(f: EvalFlags): Partial<PreprocessConfig> {
  const o: Partial<PreprocessConfig> = {};
  if (f.size !== undefined) Object.assign(o, parseSize(f.size));
  if (f.channels !== undefined) {
    if (f.channels !== '1' && f.channels !== '3')
      throw new PqvError('INVALID_ARGUMENT', `--channels must be 1 or 3 (got "${f.channels}").`);
    o.channels = f.channels === '1' ? 1 : 3;
  }
  if (f.mean !== undefined) o.mean = parseNumberList('mean', f.mean);
  if (f.std !== undefined) o.std = parseNumberList('std', f.std);
  return o;
}

/** A whole number ≥ `min` from flag `--name`. */
export function parseCount(name: string, text: string, min: number): number {
  const v = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isInteger(v) || v < min) {
    throw new PqvError('INVALID_ARGUMENT', `--${name} must be a whole number ≥ ${min} (got "${text}").`);
  }
  return v;
}

/** Comma-separated numbers from flag `--name`. */
export function parseNumberList(name: string, text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((n) => !Number.isFinite(n))) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      `--${name} must be comma-separated numbers, e.g. 0.485,0.456,0.406 (got "${text}").`,
    );
  }
  return nums;
}

/** `HxW` or a single `N` (square) from `--size`. */
export function parseSize(text: string): { height: number; width: number } {
  const m = /^\s*(\d+)\s*(?:[xX×]\s*(\d+))?\s*$/.exec(text);
  const h = m ? Number(m[1]) : NaN;
  const w = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || !(h > 0) || !(w > 0)) {
    throw new PqvError('INVALID_ARGUMENT', `--size must be HxW (e.g. 224x224) or a single number (got "${text}").`);
  }
  return { height: h, width: w };
}
