/**
 * `pqv prune MODEL -o OUT`: structured pruning of a ViT ONNX export (heads, head-dims, MLP, embedding),
 * or replay of a saved pruning plan.
 */
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { PqvError } from '../../../common/errors.js';
import { sidecarPath } from '../../engine/evaluate/preprocess.js';
import { loadModel, saveModel } from '../../engine/onnx/model-io.js';
import { IMPORTANCE_METHODS, type ImportanceMethod } from '../../engine/prune/importance/element-scores.js';
import { sha256Hex } from '../../engine/util/hash.js';
import { parsePlan, pruneModel } from '../../engine/prune/prune.js';
import { PRUNE_TARGETS, type PruneTarget, type PruningPlan } from '../../engine/prune/types.js';
import {
  RECOVERY_METHODS,
  recoverAccuracy,
  type RecoveryMethod,
  type RecoveryReport,
} from '../../engine/recover/recover.js';
import { printJson, progressBars, runCommand, type CliContext } from '../output.js';

interface PruneFlags {
  output: string;
  method: string;
  target: string;
  ratio?: string;
  global?: boolean;
  roundTo?: string;
  planOut?: string;
  plan?: string;
  data?: string;
  samples?: string;
  seed?: string;
  recover?: string;
  steps?: string;
  lr?: string;
  json?: boolean;
}

function number(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new PqvError('INVALID_ARGUMENT', `--${name} must be a number (got "${v}").`);
  return n;
}

function keptHeads(plan: PruningPlan): number[][] {
  return plan.before.heads.map((h, b) => {
    const g = plan.groups.find((x) => x.kind === 'heads' && x.block === b);
    return Array.from({ length: h }, (_, i) => i).filter((i) => !g?.removed.includes(i));
  });
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('prune')
    .description('Structured pruning of a ViT ONNX model (attention heads, head dims, MLP units, embedding channels).')
    .argument('<model>', 'ONNX ViT model')
    .requiredOption('-o, --output <file>', 'where to write the pruned model')
    .option('--method <m>', `importance criterion: ${IMPORTANCE_METHODS.join('|')}`, 'l2')
    .option('--target <t>', `what to prune: ${PRUNE_TARGETS.join('|')}`, 'all')
    .option('--ratio <r>', 'fraction of units to remove per group, in [0, 1)')
    .option('--global', 'rank heads / MLP units across blocks instead of the same fraction per block')
    .option('--round-to <n>', 'keep a multiple of N channels (MLP, embedding, head dims)')
    .option('--plan-out <file>', 'save the pruning plan (JSON) for replay')
    .option('--plan <file>', 'replay a saved pruning plan instead of planning')
    .option('--data <dir>', 'calibration images (ImageFolder) for taylor/hessian')
    .option('--samples <n>', 'number of calibration images (default 256)')
    .option('--seed <n>', 'seed for the random criterion', '0')
    .option(
      '--recover <method>',
      `recover accuracy after pruning with the input model as teacher: ${RECOVERY_METHODS.join('|')} (needs --data)`,
    )
    .option('--steps <n>', 'distillation steps for --recover (default 100)')
    .option(
      '--lr <x>',
      'peak distillation learning rate for --recover (default 3e-4; 3e-5 after reconstruction with both)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (modelPath: string, flags: PruneFlags) => {
      const json = Boolean(flags.json);
      await runCommand(ctx, json, async () => {
        if (!IMPORTANCE_METHODS.includes(flags.method as ImportanceMethod)) {
          throw new PqvError(
            'INVALID_ARGUMENT',
            `--method must be one of ${IMPORTANCE_METHODS.join(', ')} (got "${flags.method}").`,
          );
        }
        if (!PRUNE_TARGETS.includes(flags.target as PruneTarget)) {
          throw new PqvError(
            'INVALID_ARGUMENT',
            `--target must be one of ${PRUNE_TARGETS.join(', ')} (got "${flags.target}").`,
          );
        }
        let plan: PruningPlan | undefined;
        if (flags.plan) {
          let text: string;
          try {
            text = await readFile(flags.plan, 'utf8');
          } catch {
            throw new PqvError('FILE_NOT_FOUND', `Plan file not found: ${flags.plan}.`);
          }
          try {
            plan = parsePlan(JSON.parse(text));
          } catch (e) {
            if (e instanceof PqvError) throw e;
            throw new PqvError('INVALID_ARGUMENT', `${flags.plan} is not valid JSON. Save plans with --plan-out.`);
          }
        }
        if (flags.recover !== undefined && !RECOVERY_METHODS.includes(flags.recover as RecoveryMethod)) {
          throw new PqvError(
            'INVALID_ARGUMENT',
            `--recover must be one of ${RECOVERY_METHODS.join(', ')} (got "${flags.recover}").`,
          );
        }
        if (flags.recover !== undefined && !flags.data)
          throw new PqvError('INVALID_ARGUMENT', '--recover needs calibration images: pass --data DIR.');
        const ratio = number('ratio', flags.ratio);
        if (!plan && ratio === undefined)
          throw new PqvError('INVALID_ARGUMENT', 'Give --ratio R (e.g. 0.3) or --plan PLAN.json.');
        const loaded = await loadModel(modelPath);
        const bars = progressBars(!json);
        const started = Date.now();
        const result = await (async () => {
          try {
            return await pruneModel(
              loaded.model,
              {
                plan,
                ratio: ratio ?? plan?.ratio ?? 0,
                method: flags.method as ImportanceMethod,
                target: flags.target as PruneTarget,
                global: Boolean(flags.global),
                roundTo: number('round-to', flags.roundTo),
                seed: number('seed', flags.seed),
                modelPath: loaded.path,
                modelSha256: sha256Hex(loaded.bytes),
                calibration: flags.data
                  ? { dataDir: flags.data, samples: number('samples', flags.samples) }
                  : undefined,
              },
              { signal: ctx.signal, onProgress: bars.onProgress },
            );
          } finally {
            bars.stop();
          }
        })();
        let recovery: RecoveryReport | undefined;
        if (flags.recover !== undefined && flags.data) {
          const rbars = progressBars(!json);
          try {
            const r = await recoverAccuracy(
              result.model,
              loaded.model,
              {
                method: flags.recover as RecoveryMethod,
                calibration: { dataDir: flags.data, samples: number('samples', flags.samples) },
                modelPath: loaded.path,
                teacherPath: loaded.path,
                distill: { steps: number('steps', flags.steps), lr: number('lr', flags.lr) },
              },
              { signal: ctx.signal, onProgress: rbars.onProgress },
            );
            result.model = r.model;
            recovery = r.report;
          } finally {
            rbars.stop();
          }
        }
        const out = resolve(flags.output);
        const bytes = await saveModel(result.model, out);
        // Pruning keeps the input contract, so the preprocessing sidecar applies to the output too.
        const sidecar = sidecarPath(loaded.path);
        if (
          await stat(sidecar).then(
            (x) => x.isFile(),
            () => false,
          )
        )
          await copyFile(sidecar, sidecarPath(out));
        if (flags.planOut) await writeFile(flags.planOut, `${JSON.stringify(result.plan, null, 2)}\n`);
        const p = result.plan;
        const summary = {
          input: loaded.path,
          output: out,
          bytes: { before: loaded.bytes.length, after: bytes },
          method: p.method,
          target: p.target,
          ratio: p.ratio,
          global: p.global,
          roundTo: p.roundTo,
          params: { before: result.before.params, after: result.after.params },
          storedParams: { before: result.before.storedParams, after: result.after.storedParams },
          macs: { before: result.before.macs, after: result.after.macs },
          embedDim: { before: p.before.dim, after: p.after.dim },
          heads: { before: p.before.heads, after: p.after.heads },
          keptHeads: keptHeads(p),
          headDim: { before: p.before.headDim, after: p.after.headDim },
          mlp: { before: p.before.mlp, after: p.after.mlp },
          plan: flags.planOut ? resolve(flags.planOut) : undefined,
          recovery: recovery
            ? {
                method: recovery.method,
                calibrationImages: recovery.calibrationImages,
                before: recovery.before,
                after: recovery.after,
                seconds: recovery.seconds,
              }
            : undefined,
          seconds: (Date.now() - started) / 1000,
        };
        if (json) {
          printJson(summary);
          return;
        }
        const pct = (a: number, b: number): string => `${((100 * b) / a).toFixed(1)}%`;
        process.stdout.write(
          [
            `Pruned ${loaded.path}`,
            `  params  ${summary.params.before.toLocaleString()} → ${summary.params.after.toLocaleString()} (${pct(summary.params.before, summary.params.after)})`,
            `  MACs    ${summary.macs.before.toLocaleString()} → ${summary.macs.after.toLocaleString()} (${pct(summary.macs.before, summary.macs.after)})`,
            `  embed   ${p.before.dim} → ${p.after.dim}`,
            `  heads   ${p.before.heads.join(',')} → ${p.after.heads.join(',')}`,
            `  headDim ${p.before.headDim.join(',')} → ${p.after.headDim.join(',')}`,
            `  mlp     ${p.before.mlp.join(',')} → ${p.after.mlp.join(',')}`,
            ...(recovery
              ? [
                  `  recover ${recovery.method}: agreement with the unpruned model ${(100 * recovery.before.agreement).toFixed(1)}% → ${(100 * recovery.after.agreement).toFixed(1)}%, KL ${recovery.before.kl.toFixed(4)} → ${recovery.after.kl.toFixed(4)} on ${recovery.evaluatedOn.images} calibration images (${recovery.seconds.toFixed(0)} s)`,
                ]
              : []),
            `  wrote   ${out}${summary.plan ? `\n  plan    ${summary.plan}` : ''}`,
            '',
          ].join('\n'),
        );
      });
    });
}
