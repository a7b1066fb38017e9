/**
 * POSIX shell quoting for commands sent to a phone's `sh` over adb. Every argument that can carry user
 * input (file names, paths, option strings) goes through `shellQuote`; nothing is ever interpolated raw.
 */
import { PqvError } from '../../../common/errors.js';

/**
 * Quote one argument for a POSIX shell: wrap in single quotes, and write each embedded `'` as `'\''`.
 * Inside single quotes no character is special (`$`, backticks, `;`, `\`, newlines are literal).
 * NUL bytes cannot be passed through a shell at all and are rejected.
 */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      'A file name or argument contains a NUL byte, which a shell cannot pass. Rename the file.',
    );
  }
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quote every argument and join them with spaces. */
export function shellJoin(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}
