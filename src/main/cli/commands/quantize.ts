/**
 * `pqv quantize MODEL -o OUT --mode fp16|int8-dynamic|int8-static --backend …`: quantize a float32 ViT for a
 * phone backend and report size, settings and per-layer sensitivity.
 */
import { Command, Option } from 'commander';
import { PqvError } from '../../../common/errors.js';
import { quantizeFile } from '../../engine/quantize/quantize-file.js';
import {
  BACKEND_NAMES,
  QUANT_MODES,
  type BackendName,
  type CalibrationMethod,
  type QuantMode,
  type QuantType,
  type QuantizeReport,
} from '../../engine/quantize/types.js';
import { printJson, progressBars, runCommand, type CliContext } from '../output.js';

interface Flags {
  output: string;
  mode: QuantMode;
  backend: BackendName;
  calib?: string;
  samples?: string;
  method?: CalibrationMethod;
  percentile?: string;
  perChannel?: boolean;
  activationType?: QuantType;
  keepFloat?: string;
  rangesCache?: string;
  ort?: boolean;
  json?: boolean;
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new PqvError('INVALID_ARGUMENT', `${flag} must be a positive integer (got ${v}).`);
  return n;
}

/** `auto`, a number of layers, or comma-separated node names. */
export function parseKeepFloat(v: string | undefined): 'auto' | number | string[] | undefined {
  if (v === undefined) return undefined;
  if (v === 'auto') return 'auto';
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(2)} MB`;
}

function printHuman(r: QuantizeReport): void {
  const lines = [
    `${r.mode} for ${r.backend}: ${r.output}`,
    `  size ${mb(r.bytesBefore)} → ${mb(r.bytesAfter)} (${((r.bytesAfter / r.bytesBefore) * 100).toFixed(1)} %), ${r.params.toLocaleString('en-US')} parameters`,
    `  ${r.quantizedNodes} nodes in reduced precision, ${r.keptFloat.length} kept in float32`,
  ];
  if (r.outputSqnrDb !== undefined) lines.push(`  output SQNR vs float32: ${r.outputSqnrDb.toFixed(1)} dB`);
  if (r.ortOutput) lines.push(`  ORT format: ${r.ortOutput}`);
  if (r.sensitivity) {
    lines.push('  most sensitive layers (SQNR when only that layer is quantized):');
    for (const s of r.sensitivity.slice(0, 10))
      lines.push(
        `    ${s.sqnrDb.toFixed(1).padStart(6)} dB  ${s.opType.padEnd(8)} ${s.node}${s.keptFloat ? '  [kept float]' : ''}`,
      );
  }
  lines.push(
    r.violations.length === 0
      ? `  fits ${r.backend} constraints`
      : `  ${r.backend} constraint violations:\n${r.violations.map((v) => `    - ${v}`).join('\n')}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('quantize')
    .description('Quantize a float32 ONNX ViT to fp16 or int8 (dynamic or static QDQ) shaped for a phone backend.')
    .argument('<model>', 'float32 .onnx model')
    .requiredOption('-o, --output <file>', 'output .onnx file')
    .addOption(new Option('--mode <mode>', 'precision form').choices([...QUANT_MODES]).makeOptionMandatory())
    .addOption(new Option('--backend <name>', 'target backend').choices([...BACKEND_NAMES]).default('cpu'))
    .option('--calib <dir>', 'calibration images (ImageFolder or labels.csv folder)')
    .option('--samples <n>', 'calibration images to use (default 128)')
    .addOption(
      new Option('--method <m>', 'activation range estimator (default percentile)').choices([
        'minmax',
        'percentile',
        'entropy',
      ]),
    )
    .option('--percentile <p>', 'percentile for --method percentile (default 99.999)')
    .option('--per-channel', 'per-channel weights (default: the backend default)')
    .option('--no-per-channel', 'per-tensor weights')
    .addOption(
      new Option('--activation-type <t>', 'activation type for int8-static').choices(['uint8', 'int8', 'uint16']),
    )
    .option(
      '--keep-float <spec>',
      'layers kept in float: auto, a number of most sensitive layers, or node names (comma-separated)',
    )
    .option('--ranges-cache <file>', 'JSON file caching calibration statistics')
    .option('--ort', 'also write the ORT-format model (.ort) next to the output')
    .option('--json', 'print the report as JSON')
    .action(async (model: string, flags: Flags) => {
      const json = !!flags.json;
      await runCommand(ctx, json, async () => {
        const percentile = flags.percentile === undefined ? undefined : Number(flags.percentile);
        if (percentile !== undefined && !(percentile > 0 && percentile <= 100)) {
          throw new PqvError('INVALID_ARGUMENT', `--percentile must be in (0, 100] (got ${flags.percentile}).`);
        }
        const bars = progressBars(!json);
        try {
          const report = await quantizeFile(model, flags.output, {
            mode: flags.mode,
            backend: flags.backend,
            calibDir: flags.calib,
            samples: positiveInt(flags.samples, '--samples'),
            method: flags.method,
            percentile,
            perChannel: flags.perChannel,
            activationType: flags.activationType,
            keepFloat: parseKeepFloat(flags.keepFloat),
            rangesCache: flags.rangesCache,
            ort: flags.ort,
            signal: ctx.signal,
            onProgress: bars.onProgress,
          });
          bars.stop();
          if (json) printJson(report);
          else printHuman(report);
        } finally {
          bars.stop();
        }
      });
    });
}
