/**
 * `pqv` command-line entry: builds the commander program from the command modules and runs it.
 */
import { Command, CommanderError } from 'commander';
import { COMMAND_MODULES } from './commands/index.js';
import type { CliContext } from './output.js';

export async function main(argv: string[]): Promise<number> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ctx: CliContext = { exitCode: 0, signal: abort.signal };
  const program = new Command('pqv')
    .description(
      'PQV Studio: prune and quantize Vision Transformers, then benchmark them on this computer and on phones.',
    )
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  for (const load of COMMAND_MODULES) (await load()).register(program, ctx);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return ctx.exitCode;
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntry) {
  process.exitCode = await main(process.argv);
}
