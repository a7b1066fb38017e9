/**
 * Child process of the host benchmark: creates an onnxruntime-node session, runs warm-up and timed runs,
 * and reports the timings and its own peak RSS to the parent over IPC. Runs in its own process so a crash
 * of the runtime cannot take the app down and the peak memory is the model's, not the app's.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { PqvError, serializeError } from '../../../common/errors.js';
import { parseModel } from '../onnx/model-io.js';
import { buildFeeds } from './inputs.js';
import type { BenchReply, BenchRequest } from './protocol.js';

function send(m: BenchReply): Promise<void> {
  return new Promise((res) => {
    if (!process.send) return res();
    process.send(m, undefined, undefined, () => res());
  });
}

/** Give a coded reason when ONNX Runtime rejects a model file. */
async function explainLoadFailure(path: string, e: unknown): Promise<PqvError> {
  const { readFile } = await import('node:fs/promises');
  try {
    parseModel(new Uint8Array(await readFile(path)), path);
  } catch (pe) {
    if (pe instanceof PqvError) return pe;
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new PqvError('INFERENCE_FAILED', `ONNX Runtime could not load ${path}: ${msg}`);
}

/**
 * Reset the kernel's peak-RSS mark (Linux: `5` → /proc/self/clear_refs) so the peak reported afterwards covers
 * the session and the runs only, not the start-up of the JavaScript runtime. Returns false where unsupported.
 */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS since the last reset (VmHWM), or the process's lifetime peak where that is not available. */
function peakRssBytes(wasReset: boolean): number {
  if (wasReset) {
    try {
      const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) return Number(m[1]) * 1024;
    } catch {
      // fall through to the lifetime peak
    }
  }
  return process.resourceUsage().maxRSS * 1024;
}

async function run(req: BenchRequest): Promise<BenchReply> {
  const peakWasReset = resetPeakRss();
  const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
  if (req.threads > 0) opts.intraOpNumThreads = req.threads;
  const t0 = performance.now();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(req.modelPath, opts);
  } catch (e) {
    throw await explainLoadFailure(req.modelPath, e);
  }
  const initMs = performance.now() - t0;
  const metas = session.inputMetadata.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] },
  );
  const feeds = await buildFeeds(metas, req.seed, req.inputPath);
  const runOnce = async (): Promise<number> => {
    const s = performance.now();
    try {
      await session.run(feeds);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new PqvError('INFERENCE_FAILED', `Inference failed during the benchmark: ${msg}`);
    }
    return performance.now() - s;
  };
  let lastSent = 0;
  const progress = async (stage: 'warmup' | 'benchmark', done: number, total: number): Promise<void> => {
    const now = performance.now();
    if (done === total || now - lastSent > 100) {
      lastSent = now;
      await send({ type: 'progress', stage, done, total });
    }
  };
  const firstMs = await runOnce();
  // The first (cold) run counts as one of the warm-up runs.
  for (let i = 1; i < req.warmup; i++) {
    await runOnce();
    await progress('warmup', i + 1, req.warmup);
  }
  const samples: number[] = [];
  for (let i = 0; i < req.runs; i++) {
    samples.push(await runOnce());
    await progress('benchmark', i + 1, req.runs);
  }
  await session.release();
  return { type: 'result', initMs, firstMs, samples, peakRssBytes: peakRssBytes(peakWasReset) };
}

process.once('message', (req: BenchRequest) => {
  run(req)
    .then(send, (e: unknown) => send({ type: 'error', error: serializeError(e) }))
    .finally(() => process.disconnect?.());
});

// The parent is gone (killed, or it cancelled us by disconnecting): stop at once instead of finishing the runs.
process.once('disconnect', () => process.exit(0));
