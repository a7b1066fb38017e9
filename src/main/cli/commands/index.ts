/** The list of CLI commands. Each module registers one command on the program. */
import type { Command } from 'commander';
import type { CliContext } from '../output.js';

type Register = (program: Command, ctx: CliContext) => void;

/** Lazily imported command modules, in help order. */
export const COMMAND_MODULES: Array<() => Promise<{ register: Register }>> = [
  () => import('./inspect.js'),
  () => import('./prune.js'),
  () => import('./recover.js'),
  () => import('./quantize.js'),
  () => import('./bench.js'),
  () => import('./devices.js'),
  () => import('./settings.js'),
  () => import('./eval.js'),
  () => import('./sweep.js'),
  () => import('./report.js'),
];
