/** `pqv inspect MODEL [--json]`: print a model's summary (inputs/outputs, opset, size, parameters, ops). */
import type { Command } from 'commander';
import type { ModelSummary, TensorInfo } from '../../../common/types/model.js';
import { formatBytes, inspectModel } from '../../engine/model/inspect.js';
import { printJson, runCommand, type CliContext } from '../output.js';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description('Show what an ONNX model contains: inputs, outputs, opset, size, parameters and operators.')
    .argument('<model>', 'path to an .onnx file')
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, opts: { json?: boolean }) => {
      const json = opts.json === true;
      await runCommand(ctx, json, async () => {
        const summary = await inspectModel(model);
        if (json) printJson(summary);
        else process.stdout.write(formatSummary(summary));
      });
    });
}

function shapeText(t: TensorInfo): string {
  return `[${t.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Human-readable table of a model summary. */
export function formatSummary(s: ModelSummary): string {
  const rows: Array<[string, string]> = [
    ['Model', s.path],
    ['Producer', s.producer || '(unknown)'],
    ['IR version', String(s.irVersion)],
    ['Opset', String(s.opset)],
    ['Parameters', `${s.params.toLocaleString('en-US')} (${(s.params / 1e6).toFixed(2)} M)`],
    ['Size', `${formatBytes(s.bytes)}${s.externalData ? ' (with external data)' : ''}`],
    ['SHA-256', s.sha256],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  const io = (title: string, list: TensorInfo[]): void => {
    lines.push('', title);
    const nw = Math.max(4, ...list.map((t) => t.name.length));
    for (const t of list) lines.push(`  ${t.name.padEnd(nw)}  ${t.type.padEnd(8)}  ${shapeText(t)}`);
  };
  io('Inputs', s.inputs);
  io('Outputs', s.outputs);
  lines.push('', `Operators (${Object.values(s.ops).reduce((a, b) => a + b, 0)} nodes)`);
  const ops = Object.entries(s.ops);
  const ow = Math.max(...ops.map(([k]) => k.length), 4);
  for (const [op, n] of ops) lines.push(`  ${op.padEnd(ow)}  ${String(n).padStart(5)}`);
  return `${lines.join('\n')}\n`;
}
