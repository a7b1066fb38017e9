/**
 * Turning a failed `onnxruntime_perf_test` run (exit status + transcript) into a coded error with a
 * next step.
 */
import { PqvError } from '../../../common/errors.js';

export function classifyRunnerFailure(
  exitCode: number,
  output: string,
  ctx: { serial: string; backend: string; runnerVersion: string | null },
): PqvError {
  const tail = output.trim().split('\n').slice(-15).join('\n');
  const details = { serial: ctx.serial, backend: ctx.backend, exitCode, tail };
  if (/Unknown command line flag/i.test(output)) {
    return new PqvError(
      'RUNNER_UNSUPPORTED',
      `The runner on ${ctx.serial} (ONNX Runtime ${ctx.runnerVersion ?? 'unknown version'}) rejected its flags: Android builds of onnxruntime_perf_test 1.23.0 strip flag names. Use a 1.22.x or ≥ 1.23.1 build (docs/runners.md).`,
      details,
    );
  }
  if (exitCode === 139 || exitCode === 134 || /Segmentation fault|SIGSEGV|Aborted/i.test(output)) {
    return new PqvError(
      'RUNNER_CRASHED',
      `The benchmark runner crashed on ${ctx.serial} (exit ${exitCode}${exitCode === 139 ? ', segmentation fault' : ''}) with backend ${ctx.backend}. Try another backend or runner build; the log tail is in the details.`,
      details,
    );
  }
  if (/fallback to CPU EP has been explicitly disabled/i.test(output)) {
    return new PqvError(
      'BACKEND_UNSUPPORTED',
      `Some operators of this model are not supported by ${ctx.backend} on ${ctx.serial}, and CPU fallback is disabled. Allow CPU fallback to measure the mixed placement.`,
      details,
    );
  }
  if (
    /not supported in this build|Unable to load backend|Failed to initialize the QNN backend|Failed to load|not enabled in this build/i.test(
      output,
    )
  ) {
    return new PqvError(
      'BACKEND_UNSUPPORTED',
      `Backend ${ctx.backend} is not available on ${ctx.serial} with this runner (missing execution provider or its libraries). Use a runner built with it (docs/runners.md) or pick another backend.`,
      details,
    );
  }
  if (/CANNOT LINK EXECUTABLE|library ".*" not found|inaccessible or not found|Permission denied/i.test(output)) {
    return new PqvError(
      'RUNNER_MISSING',
      `The runner cannot start on ${ctx.serial}: ${tail.split('\n').pop() ?? ''}. Put onnxruntime_perf_test and all its .so files in the runner folder (docs/runners.md).`,
      details,
    );
  }
  return new PqvError(
    'BENCH_FAILED',
    `The benchmark failed on ${ctx.serial} (exit ${exitCode}). Log tail: ${tail.slice(-400)}`,
    details,
  );
}
