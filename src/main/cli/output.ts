/**
 * CLI output: JSON vs human text, coded error printing, progress bars (cli-progress) on a TTY.
 */
import cliProgress from 'cli-progress';
import { serializeError, type SerializedError } from '../../common/errors.js';
import type { ProgressCallback, ProgressEvent } from '../../common/progress.js';

/** Shared state handed to every command. */
export interface CliContext {
  /** Set by commands that fail with a coded error; becomes the process exit code. */
  exitCode: number;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Print an error the way every command does: JSON on stdout with --json, else `error CODE: message` on stderr. */
export function printError(e: unknown, json: boolean): SerializedError {
  const s = serializeError(e);
  if (json) process.stdout.write(`${JSON.stringify({ error: s }, null, 2)}\n`);
  else process.stderr.write(`error ${s.code}: ${s.message}\n`);
  if (s.code === 'INTERNAL' && e instanceof Error && process.env.PQV_DEBUG) process.stderr.write(`${e.stack}\n`);
  return s;
}

/** Exit code for an error: 130 for cancellation, 2 for user errors, 70 for internal bugs. */
export function exitCodeFor(s: SerializedError): number {
  if (s.code === 'CANCELLED') return 130;
  if (s.code === 'INTERNAL') return 70;
  return 2;
}

/**
 * A progress callback that draws one bar per stage on stderr when it is a TTY and not in JSON mode,
 * and otherwise prints nothing. Call `stop()` when the operation ends.
 */
export function progressBars(enabled: boolean): { onProgress: ProgressCallback; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { onProgress: () => undefined, stop: () => undefined };
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {stage} |{bar}| {value}/{total} {detail}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const onProgress = (e: ProgressEvent): void => {
    const key = e.device ? `${e.stage} ${e.device}` : e.stage;
    let bar = bars.get(key);
    const payload = { stage: key.padEnd(18), detail: e.detail ?? '' };
    if (!bar) {
      bar = multi.create(e.total ?? 0, e.done, payload);
      bars.set(key, bar);
    }
    if (e.total !== undefined) bar.setTotal(e.total);
    bar.update(e.done, payload);
  };
  return { onProgress, stop: () => multi.stop() };
}

/** Run a command body with uniform error handling. */
export async function runCommand(ctx: CliContext, json: boolean, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    ctx.exitCode = exitCodeFor(printError(e, json));
  }
}
