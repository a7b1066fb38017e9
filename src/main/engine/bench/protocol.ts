/**
 * Messages between `benchOnHost` (parent) and the benchmark child process (host-bench-worker).
 */
import type { SerializedError } from '../../../common/errors.js';

/** Parent → child: what to benchmark. */
export interface BenchRequest {
  type: 'start';
  modelPath: string;
  runs: number;
  warmup: number;
  threads: number;
  inputPath?: string;
  /** Seed of the random inputs. */
  seed: number;
}

/** Child → parent messages. */
export type BenchReply =
  | { type: 'progress'; stage: 'warmup' | 'benchmark'; done: number; total: number }
  | {
      type: 'result';
      initMs: number;
      firstMs: number;
      /** Timed runs, ms, in run order. */
      samples: number[];
      /** Peak RSS of the child while it loads the model and runs it (VmHWM after a reset on Linux), bytes. */
      peakRssBytes: number;
    }
  | { type: 'error'; error: SerializedError };
