import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CancelledError, PqvError } from '../../../src/common/errors.js';
import type { ProgressEvent } from '../../../src/common/progress.js';
import { benchOnHost, runBenchChild } from '../../../src/main/engine/bench/host-bench.js';
import type { BenchRequest } from '../../../src/main/engine/bench/protocol.js';

const fixture = resolve('test/fixtures/vit-exports/timm-vit-op17');
const tmp = mkdtempSync(join(tmpdir(), 'pqv-bench-'));

describe('benchOnHost', () => {
  it('measures a model in a child process and reports consistent statistics', async () => {
    const events: ProgressEvent[] = [];
    const r = await benchOnHost(
      `${fixture}.onnx`,
      { runs: 6, warmup: 2, threads: 1 },
      { onProgress: (e) => events.push(e) },
    );
    expect(r).toMatchObject({ device: 'host', backend: 'host', runs: 6, warmup: 2, threads: 1 });
    expect(r.minMs).toBeGreaterThan(0);
    expect(r.minMs).toBeLessThanOrEqual(r.p50Ms);
    expect(r.p50Ms).toBeLessThanOrEqual(r.p90Ms);
    expect(r.p90Ms).toBeLessThanOrEqual(r.p99Ms);
    expect(r.p99Ms).toBeLessThanOrEqual(r.maxMs);
    expect(r.meanMs).toBeGreaterThanOrEqual(r.minMs);
    expect(r.meanMs).toBeLessThanOrEqual(r.maxMs);
    expect(r.initMs).toBeGreaterThan(0);
    expect(r.firstMs).toBeGreaterThan(0);
    // The child's own peak RSS: at least the runtime plus the model, far below the test runner's.
    expect(r.peakRssBytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(events.at(-1)).toMatchObject({ stage: 'benchmark', done: 6, total: 6, device: 'host' });
  });

  it('uses a given raw float32 input file and rejects one of the wrong size', async () => {
    const r = await benchOnHost(`${fixture}.onnx`, { runs: 2, warmup: 0, inputPath: `${fixture}.input.f32` });
    expect(r.runs).toBe(2);
    const bad = join(tmp, 'bad.f32');
    writeFileSync(bad, new Uint8Array(100));
    await expect(benchOnHost(`${fixture}.onnx`, { runs: 1, inputPath: bad })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('reports coded errors for bad models and options without starting a benchmark', async () => {
    await expect(benchOnHost(join(tmp, 'missing.onnx'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    const junk = join(tmp, 'junk.onnx');
    writeFileSync(
      junk,
      new Uint8Array(2048).map((_, i) => (i * 2654435761) >>> 24),
    );
    await expect(benchOnHost(junk, { runs: 1, warmup: 0 })).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    await expect(benchOnHost(`${fixture}.onnx`, { runs: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('kills the child and throws CancelledError when aborted', async () => {
    const ac = new AbortController();
    const p = benchOnHost(
      `${fixture}.onnx`,
      { runs: 100000, warmup: 0 },
      {
        signal: ac.signal,
        onProgress: (e) => {
          if (e.stage === 'benchmark') ac.abort();
        },
      },
    );
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('runBenchChild failure handling', () => {
  const crash = { path: resolve('test/unit/bench/crash-worker.mjs'), execArgv: [] };
  const req = (modelPath: string): BenchRequest => ({
    type: 'start',
    modelPath,
    runs: 1,
    warmup: 0,
    threads: 0,
    seed: 1,
  });

  it('turns a child killed by a signal into BENCH_FAILED with the signal', async () => {
    const e = await runBenchChild(req('signal'), undefined, () => undefined, crash).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PqvError);
    expect(e).toMatchObject({ code: 'BENCH_FAILED', details: { signal: 'SIGKILL', exitCode: null } });
  });

  it('turns a child exiting early into BENCH_FAILED with the exit code', async () => {
    await expect(runBenchChild(req('exit'), undefined, () => undefined, crash)).rejects.toMatchObject({
      code: 'BENCH_FAILED',
      details: { exitCode: 3 },
    });
  });

  it('kills a hanging child on abort', async () => {
    const ac = new AbortController();
    const p = runBenchChild(req('hang'), ac.signal, () => undefined, crash);
    setTimeout(() => ac.abort(), 200);
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });
});
