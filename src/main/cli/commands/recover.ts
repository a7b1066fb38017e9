/**
 * `pqv recover PRUNED.onnx --teacher ORIGINAL.onnx -o OUT --data DIR`: recover the accuracy lost by
 * pruning, by layer-wise reconstruction, knowledge distillation from the original model, or both.
 */
import { copyFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { PqvError } from '../../../common/errors.js';
import { sidecarPath } from '../../engine/evaluate/preprocess.js';
import { loadModel, saveModel } from '../../engine/onnx/model-io.js';
import {
  RECOVERY_METHODS,
  recoverAccuracy,
  type RecoveryMethod,
  type RecoveryReport,
} from '../../engine/recover/recover.js';
import { printJson, progressBars, runCommand, type CliContext } from '../output.js';
import { parseCount } from './eval.js';

interface RecoverFlags {
  teacher: string;
  output: string;
  data: string;
  method: string;
  samples?: string;
  val?: string;
  valSamples?: string;
  steps?: string;
  lr?: string;
  batch?: string;
  temperature?: string;
  labelWeight?: string;
  layers?: string;
  alpha?: string;
  json?: boolean;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0)
    throw new PqvError('INVALID_ARGUMENT', `--${name} must be a positive number (got "${text}").`);
  return v;
}

function fraction(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0 || v > 1)
    throw new PqvError('INVALID_ARGUMENT', `--${name} must be a number in [0, 1] (got "${text}").`);
  return v;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

function humanReport(r: RecoveryReport, out: string): string {
  const row = (name: string, s: { top1: number; agreement: number; kl: number }): string =>
    `  ${name.padEnd(18)} top-1 ${pct(s.top1).padStart(7)}  agrees with teacher ${pct(s.agreement).padStart(7)}  KL ${s.kl.toFixed(4)}`;
  const lines = [
    `Recovered with ${r.method} (${r.calibrationImages} calibration images; measured on ${r.evaluatedOn.images} ${r.evaluatedOn.source} images)`,
  ];
  lines.push(row('teacher', r.teacher), row('pruned', r.before));
  if (r.afterReconstruct) lines.push(row('reconstructed', r.afterReconstruct));
  lines.push(row(r.method === 'reconstruct' ? 'reconstructed' : 'distilled', r.after));
  if (r.reconstruction) {
    const done = r.reconstruction.layers.filter((l) => !l.skipped);
    const mean = (f: (l: (typeof done)[number]) => number): number =>
      done.reduce((a, l) => a + f(l), 0) / Math.max(1, done.length);
    lines.push(
      `  reconstruction     ${done.length} layers, mean relative error ${mean((l) => l.errorBefore).toFixed(4)} → ${mean((l) => l.errorAfter).toFixed(4)} (${r.reconstruction.seconds.toFixed(1)} s)`,
    );
  }
  if (r.distillation) {
    const d = r.distillation;
    lines.push(
      `  distillation       ${d.steps} steps × ${d.batchSize}, lr ${d.lr}, T ${d.temperature}: loss ${d.lossFirst.toFixed(4)} → ${d.lossLast.toFixed(4)} (${d.seconds.toFixed(1)} s)`,
    );
  }
  lines.push(`  wrote              ${out}`, '');
  return lines.join('\n');
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('recover')
    .description(
      'Recover the accuracy of a pruned ViT: layer-wise reconstruction and/or distillation from the original model.',
    )
    .argument('<pruned>', 'pruned ONNX model (made by pqv prune)')
    .requiredOption('--teacher <model>', 'the original model the pruned one was made from')
    .requiredOption('-o, --output <file>', 'where to write the recovered model')
    .requiredOption('--data <dir>', 'calibration images (ImageFolder or labels.csv)')
    .option('--method <m>', `${RECOVERY_METHODS.join('|')}`, 'both')
    .option('--samples <n>', 'number of calibration images (default 500)')
    .option('--val <dir>', 'held-out images for the before/after numbers (default: the calibration images)')
    .option('--val-samples <n>', 'number of held-out images (default: all)')
    .option('--steps <n>', 'distillation steps (default 100)')
    .option('--lr <x>', 'peak distillation learning rate (default 3e-4; 3e-5 after reconstruction with both)')
    .option('--batch <n>', 'distillation batch size (default 32)')
    .option('--temperature <t>', 'distillation temperature (default 2)')
    .option('--label-weight <w>', 'weight of the labels in the distillation target, in [0, 1] (default 0)')
    .option('--layers <l>', 'reconstruct all linear layers or only those whose input was pruned: all|pruned', 'all')
    .option('--alpha <a>', 'ridge strength relative to the mean Gram diagonal (default 1e-3)')
    .option('--json', 'print the report as JSON')
    .action(async (prunedPath: string, flags: RecoverFlags) => {
      const json = Boolean(flags.json);
      await runCommand(ctx, json, async () => {
        if (!RECOVERY_METHODS.includes(flags.method as RecoveryMethod)) {
          throw new PqvError(
            'INVALID_ARGUMENT',
            `--method must be one of ${RECOVERY_METHODS.join(', ')} (got "${flags.method}").`,
          );
        }
        if (flags.layers !== 'all' && flags.layers !== 'pruned')
          throw new PqvError('INVALID_ARGUMENT', `--layers must be all or pruned (got "${String(flags.layers)}").`);
        const pruned = await loadModel(prunedPath);
        const teacher = await loadModel(flags.teacher);
        const bars = progressBars(!json);
        const result = await (async () => {
          try {
            return await recoverAccuracy(
              pruned.model,
              teacher.model,
              {
                method: flags.method as RecoveryMethod,
                calibration: {
                  dataDir: flags.data,
                  samples: flags.samples !== undefined ? parseCount('samples', flags.samples, 1) : undefined,
                },
                validation: flags.val
                  ? {
                      dataDir: flags.val,
                      samples:
                        flags.valSamples !== undefined ? parseCount('val-samples', flags.valSamples, 1) : undefined,
                    }
                  : undefined,
                modelPath: pruned.path,
                teacherPath: teacher.path,
                reconstruct: { layers: flags.layers as 'all' | 'pruned', alpha: positive('alpha', flags.alpha) },
                distill: {
                  steps: flags.steps !== undefined ? parseCount('steps', flags.steps, 1) : undefined,
                  lr: positive('lr', flags.lr),
                  batchSize: flags.batch !== undefined ? parseCount('batch', flags.batch, 1) : undefined,
                  temperature: positive('temperature', flags.temperature),
                  labelWeight: fraction('label-weight', flags.labelWeight),
                },
              },
              { signal: ctx.signal, onProgress: bars.onProgress },
            );
          } finally {
            bars.stop();
          }
        })();
        const out = resolve(flags.output);
        const bytes = await saveModel(result.model, out);
        // Recovery keeps the input contract: the preprocessing sidecar applies to the output too.
        for (const src of [sidecarPath(pruned.path), sidecarPath(teacher.path)]) {
          if (
            await stat(src).then(
              (x) => x.isFile(),
              () => false,
            )
          ) {
            if (resolve(src) !== resolve(sidecarPath(out))) await copyFile(src, sidecarPath(out));
            break;
          }
        }
        if (json) {
          printJson({ input: pruned.path, teacherModel: teacher.path, output: out, bytes, ...result.report });
          return;
        }
        process.stdout.write(humanReport(result.report, out));
      });
    });
}
