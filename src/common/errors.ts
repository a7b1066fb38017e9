/**
 * Error model shared by engine, shells and UI.
 *
 * - `PqvError`: an expected user error with a stable `code` and a message that says what to do next.
 * - `CancelledError`: the operation was aborted through its AbortSignal; not a failure.
 * - Anything else is a bug and is reported as `INTERNAL`.
 */

/** Stable error codes. Never rename one: the CLI's exit output, the UI and stored runs refer to them. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'FILE_NOT_FOUND',
  'NOT_A_FILE',
  'MODEL_INVALID',
  'MODEL_EMPTY',
  'MODEL_TRUNCATED',
  'MODEL_UNSUPPORTED',
  'VIT_NOT_FOUND',
  'VIT_PATTERN_UNSUPPORTED',
  'AUTODIFF_UNSUPPORTED_OP',
  'QUANT_ALREADY_QUANTIZED',
  'ORT_FORMAT_UNSUPPORTED',
  'DATASET_INVALID',
  'DATASET_EMPTY',
  'PREPROCESS_MISSING',
  'INFERENCE_FAILED',
  'BENCH_FAILED',
  'BENCH_OUTPUT_UNPARSABLE',
  'DEVICE_NOT_FOUND',
  'DEVICE_UNAUTHORIZED',
  'DEVICE_OFFLINE',
  'DEVICE_DISCONNECTED',
  'DEVICE_NO_SPACE',
  'DEVICE_THERMAL_TIMEOUT',
  'ADB_UNAVAILABLE',
  'RUNNER_MISSING',
  'RUNNER_CRASHED',
  'RUNNER_UNSUPPORTED',
  'BACKEND_UNSUPPORTED',
  'STF_FAILED',
  'SWEEP_CONFIG_INVALID',
  'SWEEP_NOT_FOUND',
  'STORE_FAILED',
  'SETTINGS_INVALID',
  'REPORT_FAILED',
  'ENGINE_CRASHED',
  'SYSTEM_DEPENDENCY_MISSING',
  'UNAUTHORIZED',
  'CANCELLED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Wire form of an error, as sent over IPC/HTTP and stored with failed runs. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  /** Optional structured details (e.g. the offending node name). */
  details?: Record<string, unknown>;
}

/** An expected error the user can act on. `message` must say what to do next. */
export class PqvError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PqvError';
    this.code = code;
    this.details = details;
  }
}

/** The operation was cancelled by its AbortSignal. */
export class CancelledError extends PqvError {
  constructor(message = 'The operation was cancelled.') {
    super('CANCELLED', message);
    this.name = 'CancelledError';
  }
}

export function isPqvError(e: unknown): e is PqvError {
  return e instanceof PqvError;
}

export function isCancelled(e: unknown): boolean {
  return e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError');
}

/** Turn any thrown value into the wire form. Unknown errors become INTERNAL (they are bugs). */
export function serializeError(e: unknown): SerializedError {
  if (isCancelled(e)) return { code: 'CANCELLED', message: 'The operation was cancelled.' };
  if (e instanceof PqvError) {
    return e.details ? { code: e.code, message: e.message, details: e.details } : { code: e.code, message: e.message };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message: `Internal error (please report it): ${message}` };
}

/** Rebuild an error thrown on the other side of IPC/HTTP. */
export function deserializeError(s: SerializedError): PqvError {
  if (s.code === 'CANCELLED') return new CancelledError(s.message);
  return new PqvError(s.code, s.message, s.details);
}

/** Throw CancelledError when the signal is aborted. Call it between units of work. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}
