/**
 * Running shell commands on a phone through adbkit and reading their exit status reliably: adbkit's
 * `shell` uses the v1 shell service, which has no exit code, so every command line gets
 * `; echo __PQV_EXIT__$?` appended and the marker is stripped from the output.
 */
import { CancelledError, PqvError, throwIfAborted } from '../../../common/errors.js';
import { mapAdbError, type AdbClient } from './adb-server.js';

export const EXIT_MARKER = '__PQV_EXIT__';

export interface ShellResult {
  /** stdout and stderr as the phone's shell produced them (v1 merges both), marker removed. */
  output: string;
  exitCode: number;
}

/** Options for one command. */
export interface RunShellOptions {
  signal?: AbortSignal;
  /** Give up after this long (ms); default 10 minutes. */
  timeoutMs?: number;
  /** Receives output as it arrives. */
  onOutput?: (chunk: string) => void;
}

/** Split the exit marker off a transcript. Exported for tests. */
export function splitExitMarker(raw: string): ShellResult | null {
  const m = new RegExp(`${EXIT_MARKER}(\\d+)\\s*$`).exec(raw);
  if (!m) return null;
  return { output: raw.slice(0, m.index), exitCode: Number(m[1]) };
}

/**
 * Run `command` (already quoted by the caller) on the phone. Rejects with DEVICE_DISCONNECTED when the
 * link drops before the exit marker arrives, CancelledError on abort.
 */
export async function runShell(
  client: AdbClient,
  serial: string,
  command: string,
  opts: RunShellOptions = {},
): Promise<ShellResult> {
  throwIfAborted(opts.signal);
  let stream: NodeJS.ReadWriteStream & { destroy?: () => void; end: () => void };
  try {
    stream = (await client.getDevice(serial).shell(`${command}; echo ${EXIT_MARKER}$?`)) as typeof stream;
  } catch (e) {
    throw mapAdbError(e, serial);
  }
  const chunks: Buffer[] = [];
  return new Promise<ShellResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      finish(() => reject(new CancelledError()));
      stream.end();
      stream.destroy?.();
    };
    const timer = setTimeout(() => {
      finish(() =>
        reject(
          new PqvError(
            'BENCH_FAILED',
            `A command on ${serial} did not finish within ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s.`,
            { serial },
          ),
        ),
      );
      stream.destroy?.();
    }, opts.timeoutMs ?? 600_000);
    // The signal may have fired while the shell was being opened.
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (b: Buffer) => {
      chunks.push(b);
      opts.onOutput?.(b.toString('utf8'));
    });
    stream.on('error', (e: unknown) => finish(() => reject(mapAdbError(e, serial))));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const r = splitExitMarker(raw);
      if (r) finish(() => resolve(r));
      else
        finish(() =>
          reject(
            new PqvError(
              'DEVICE_DISCONNECTED',
              `Lost the connection to ${serial} while a command was running. Check the cable or network link and retry.`,
              {
                serial,
                partialOutput: raw.slice(-2000),
              },
            ),
          ),
        );
    });
  });
}
