import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { latencyStats } from '../../../src/main/engine/bench/stats.js';
import { parsePerfTestOutput, parseResultCsv } from '../../../src/main/engine/devices/perf-output.js';
import { parseProfilePlacement } from '../../../src/main/engine/devices/placement.js';
import { classifyRunnerFailure } from '../../../src/main/engine/devices/runner-errors.js';
import { splitExitMarker } from '../../../src/main/engine/devices/device-shell.js';

const T = (n: string): string => fs.readFileSync(path.join(__dirname, '../../fixtures/transcripts', n), 'utf8');

describe('onnxruntime_perf_test output', () => {
  it('parses the summary with noise lines', () => {
    const m = parsePerfTestOutput(T('perf-test-1.22-cpu.txt'));
    expect(m.sessionCreationMs).toBeCloseTo(83.4519, 6);
    expect(m.firstInferenceMs).toBe(41);
    expect(m.requests).toBe(20);
    expect(m.averageMs).toBeCloseTo(23.6057, 6);
    expect(m.totalInferenceMs).toBeCloseTo(472.113, 6);
    expect(m.inferencesPerSecond).toBeCloseTo(42.2559, 6);
    expect(m.avgCpuPercent).toBe(97);
    expect(m.peakWorkingSetBytes).toBe(58920960);
    expect(m.minMs).toBeCloseTo(22.1794, 6);
    expect(m.p50Ms).toBeCloseTo(23.1982, 6);
    expect(m.p999Ms).toBeCloseTo(29.7113, 6);
    expect(m.providerLog).toBeNull();
  });

  it('parses CRLF output with exponent notation and the DumpToFile block', () => {
    const m = parsePerfTestOutput(T('perf-test-npu-crlf.txt'));
    expect(m.sessionCreationMs).toBe(1250);
    expect(m.requests).toBe(5);
    expect(m.averageMs).toBeCloseTo(0.0824, 9);
    expect(m.minMs).toBeCloseTo(0.071, 9);
    expect(m.p50Ms).toBeCloseTo(0.082, 9);
    expect(m.avgCpuPercent).toBe(12);
    expect(m.peakWorkingSetBytes).toBe(104857600);
    expect(m.providerLog).toBe('QNNExecutionProvider');
  });

  it('rejects output without a summary with a coded error', () => {
    expect(() => parsePerfTestOutput(T('perf-test-no-summary.txt'))).toThrow(
      expect.objectContaining({ code: 'BENCH_OUTPUT_UNPARSABLE' }),
    );
  });

  it('reads per-run latencies from the result CSV and ignores the stats block', () => {
    const xs = parseResultCsv(T('perf-test-result.csv'));
    expect(xs).toHaveLength(4);
    expect(xs[1]).toBeCloseTo(22.1794, 6);
    const sorted = [...xs].sort((a, b) => a - b);
    // Same percentile definition as the host benchmark (linear interpolation between the two middle runs).
    expect(latencyStats(xs).p50Ms).toBeCloseTo(((sorted[1] ?? 0) + (sorted[2] ?? 0)) / 2, 6);
  });

  it('computes operator placement per execution provider', () => {
    const p = parseProfilePlacement(T('profile-qnn.json'));
    expect(p.nodes).toEqual({ QNNExecutionProvider: 2, CPUExecutionProvider: 2 });
    expect(p.shares.QNNExecutionProvider).toBeCloseTo(0.5, 9);
    expect(p.ops.CPUExecutionProvider).toEqual(['Cast', 'Gather']);
  });

  it('classifies runner failures into coded errors', () => {
    const ctx = { serial: 's', backend: 'cpu', runnerVersion: '1.23.0' };
    expect(classifyRunnerFailure(1, T('perf-test-1.23.0-flags.txt'), ctx).code).toBe('RUNNER_UNSUPPORTED');
    expect(classifyRunnerFailure(139, T('perf-test-crash.txt'), ctx).code).toBe('RUNNER_CRASHED');
    expect(
      classifyRunnerFailure(
        255,
        'This session contains graph nodes that are assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled by the user.',
        ctx,
      ).code,
    ).toBe('BACKEND_UNSUPPORTED');
    expect(
      classifyRunnerFailure(1, 'CANNOT LINK EXECUTABLE "x": library "libonnxruntime.so" not found', ctx).code,
    ).toBe('RUNNER_MISSING');
    expect(classifyRunnerFailure(255, 'Run failed:failed to initialize.', ctx).code).toBe('BENCH_FAILED');
  });

  it('splits the exit marker even without a trailing newline before it', () => {
    expect(splitExitMarker('abc__PQV_EXIT__139\n')).toEqual({ output: 'abc', exitCode: 139 });
    expect(splitExitMarker('line\n__PQV_EXIT__0\r\n')).toEqual({ output: 'line\n', exitCode: 0 });
    expect(splitExitMarker('cut off')).toBeNull();
  });
});
