/**
 * Host benchmark: latency of a model on this computer's CPU with onnxruntime-node, measured in a child
 * process (crash isolation, honest peak memory). Abort kills the child.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError, PqvError, deserializeError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import type { BenchOptions, BenchResult } from '../../../common/types/bench.js';
import { assertModelFile } from '../onnx/model-io.js';
import type { BenchReply, BenchRequest } from './protocol.js';
import { latencyStats } from './stats.js';

/** Seed of the random benchmark inputs (fixed so runs are comparable). */
export const BENCH_SEED = 1234;

/** Defaults of `BenchOptions`. */
export const BENCH_DEFAULTS = { runs: 50, warmup: 5, threads: 0 } as const;

/** The script a benchmark child process runs, and the Node flags it needs. */
export interface WorkerSpec {
  path: string;
  execArgv: string[];
}

/** Where the worker lives: the `.ts` file run through tsx in development, the `.js` file in a build. */
export function workerSpec(): WorkerSpec {
  const self = fileURLToPath(import.meta.url);
  if (self.endsWith('.ts')) {
    // Resolve tsx from this package, not from the current directory (the CLI may run from anywhere).
    return {
      path: fileURLToPath(new URL('./host-bench-worker.ts', import.meta.url)),
      execArgv: ['--import', import.meta.resolve('tsx')],
    };
  }
  return { path: fileURLToPath(new URL('./host-bench-worker.js', import.meta.url)), execArgv: [] };
}

function checkCount(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) {
    throw new PqvError('INVALID_ARGUMENT', `--${name} must be a whole number ≥ ${min} (got ${v}).`);
  }
  return v;
}

/** Benchmark `modelPath` on this computer. Coded errors: model file errors, BENCH_FAILED (child crashed), CANCELLED. */
export async function benchOnHost(
  modelPath: string,
  options: BenchOptions = {},
  { signal, onProgress }: LongOperationOptions = {},
): Promise<BenchResult> {
  const abs = resolve(modelPath);
  await assertModelFile(abs);
  const runs = checkCount('runs', options.runs ?? BENCH_DEFAULTS.runs, 1);
  const warmup = checkCount('warmup', options.warmup ?? BENCH_DEFAULTS.warmup, 0);
  const threads = checkCount('threads', options.threads ?? BENCH_DEFAULTS.threads, 0);
  throwIfAborted(signal);
  const req: BenchRequest = {
    type: 'start',
    modelPath: abs,
    runs,
    warmup,
    threads,
    seed: BENCH_SEED,
    ...(options.inputPath ? { inputPath: resolve(options.inputPath) } : {}),
  };
  const reply = await runBenchChild(req, signal, (m) =>
    onProgress?.({ stage: m.stage, done: m.done, total: m.total, device: 'host' }),
  );
  return {
    device: 'host',
    backend: 'host',
    initMs: reply.initMs,
    firstMs: reply.firstMs,
    ...latencyStats(reply.samples),
    peakRssBytes: reply.peakRssBytes,
    runs,
    warmup,
    threads,
  };
}

type ResultReply = Extract<BenchReply, { type: 'result' }>;
type ProgressReply = Extract<BenchReply, { type: 'progress' }>;

/**
 * Run one benchmark request in a child process and wait for its result. Abort kills the child; a child that
 * exits without a result becomes BENCH_FAILED with its exit code or signal.
 */
export function runBenchChild(
  req: BenchRequest,
  signal: AbortSignal | undefined,
  progress: (m: ProgressReply) => void,
  spec: WorkerSpec = workerSpec(),
): Promise<ResultReply> {
  return new Promise<ResultReply>((resolvePromise, reject) => {
    let child: ChildProcess;
    try {
      child = fork(spec.path, [], {
        execArgv: spec.execArgv,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        serialization: 'advanced',
      });
    } catch (e) {
      reject(
        new PqvError(
          'BENCH_FAILED',
          `Could not start the benchmark process: ${e instanceof Error ? e.message : String(e)}`,
        ),
      );
      return;
    }
    let settled = false;
    let stderr = '';
    let outcome: ResultReply | PqvError | undefined;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      child.kill('SIGKILL');
      finish(() => reject(new CancelledError()));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-4000);
    });
    child.on('message', (m: BenchReply) => {
      if (m.type === 'progress') progress(m);
      else if (m.type === 'result') outcome = m;
      else outcome = deserializeError(m.error);
    });
    child.on('error', (e) =>
      finish(() => reject(new PqvError('BENCH_FAILED', `The benchmark process failed: ${e.message}`))),
    );
    child.on('exit', (code, sig) => {
      finish(() => {
        if (outcome instanceof PqvError) reject(outcome);
        else if (outcome && code === 0) resolvePromise(outcome);
        else {
          const how = sig ? `was killed by signal ${sig}` : `exited with code ${code}`;
          const tail = stderr.trim().split('\n').slice(-3).join(' | ');
          reject(
            new PqvError(
              'BENCH_FAILED',
              `The benchmark process ${how} before reporting a result${tail ? ` (${tail})` : ''}. The model may be too large for this computer's memory, or ONNX Runtime crashed on it.`,
              { exitCode: code, signal: sig, stderr: tail },
            ),
          );
        }
      });
    });
    child.send(req);
  });
}
