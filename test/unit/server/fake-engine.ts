/** A fake engine for server/service tests: deterministic results, progress events, honours AbortSignal. */
import { CancelledError } from '../../../src/common/errors.js';
import type { BenchResult } from '../../../src/common/types/bench.js';
import type { Engine } from '../../../src/main/services/engine-adapter.js';
import { JsonlRunStore } from '../../../src/main/services/run-store.js';

export function fakeBench(p50: number): BenchResult {
  return {
    device: 'host',
    backend: 'host',
    initMs: 10,
    firstMs: 2,
    meanMs: p50,
    p50Ms: p50,
    p90Ms: p50 * 1.5,
    p99Ms: p50 * 2,
    minMs: p50 / 2,
    maxMs: p50 * 3,
    stdMs: 0.1,
    peakRssBytes: 1e8,
    runs: 3,
    warmup: 1,
    threads: 1,
  };
}

/** `slowBench`: the bench waits until aborted (for cancellation tests). */
export function fakeEngine(dir: string, opts: { slowBench?: boolean } = {}): Engine {
  return {
    inspectModel: async (path) => ({
      path,
      opset: 17,
      irVersion: 8,
      producer: 'test',
      inputs: [],
      outputs: [],
      params: 42,
      bytes: 7,
      ops: { MatMul: 2 },
      externalData: false,
      sha256: 'ab',
    }),
    benchOnHost: async (_p, o, op) => {
      op.onProgress?.({ stage: 'run', done: 1, total: o.runs ?? 3 });
      if (opts.slowBench) {
        await new Promise<void>((resolve, reject) => {
          if (op.signal?.aborted) reject(new CancelledError());
          op.signal?.addEventListener('abort', () => reject(new CancelledError()), { once: true });
          setTimeout(resolve, 20_000);
        });
      }
      return fakeBench(2.5);
    },
    benchOnDevice: async () => fakeBench(5),
    evaluateModel: async () => ({ top1: 0.875, top5: 1, n: 8 }),
    knownDevices: () => [],
    listDevices: async () => [{ serial: 'host', state: 'host' }],
    watchDevices: () => () => undefined,
    store: new JsonlRunStore(dir),
    sweeps: null,
    features: { devices: false, sweep: false, store: false },
  };
}
