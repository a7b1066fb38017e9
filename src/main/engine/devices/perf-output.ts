/**
 * Parsing `onnxruntime_perf_test` output (format of onnxruntime/test/perftest/performance_runner.cc:
 * `PerformanceRunner::Run` and `PerformanceResult::DumpToFile`) and its per-run result CSV
 * (`model,time_cost_s,peak_working_set,avg_cpu,run_index`). Times in the output are seconds except
 * "First inference" and "Average inference" (ms). Numbers may be in C++ `%g` form (e.g. `1.2e-05`).
 */
import { PqvError } from '../../../common/errors.js';

export interface PerfTestMetrics {
  sessionCreationMs: number;
  firstInferenceMs: number | null;
  totalInferenceMs: number | null;
  requests: number;
  averageMs: number;
  runTimeMs: number | null;
  inferencesPerSecond: number | null;
  avgCpuPercent: number | null;
  peakWorkingSetBytes: number | null;
  minMs: number | null;
  maxMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  /** Execution provider named in a log line, when the build prints one. */
  providerLog: string | null;
}

const NUM = '([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?|nan|inf|-nan)';

function find(text: string, label: string, unitPattern = ''): number | null {
  const m = new RegExp(`^\\s*${label}:\\s*${NUM}\\s*${unitPattern}`, 'mi').exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : null;
}

export function parsePerfTestOutput(raw: string): PerfTestMetrics {
  const text = raw.replace(/\r\n?/g, '\n');
  const requests = find(text, 'Total inference requests');
  const average = find(text, 'Average inference time cost', 'ms');
  const session = find(text, 'Session creation time cost', 's');
  if (requests === null || average === null || session === null) {
    throw new PqvError(
      'BENCH_OUTPUT_UNPARSABLE',
      'The runner output has no benchmark summary (Session creation / Total inference requests / Average inference time). Is it onnxruntime_perf_test? See docs/runners.md.',
      {
        tail: text.slice(-1000),
      },
    );
  }
  const sec = (label: string): number | null => {
    const v = find(text, label, 's');
    return v === null ? null : v * 1000;
  };
  const provider = /execution provider:\s*([A-Za-z]+ExecutionProvider)/i.exec(text)?.[1] ?? null;
  return {
    sessionCreationMs: session * 1000,
    firstInferenceMs: find(text, 'First inference time cost', 'ms'),
    totalInferenceMs: sec('Total inference time cost'),
    requests,
    averageMs: average,
    runTimeMs: sec('Total inference run time'),
    inferencesPerSecond: find(text, 'Number of inferences per second'),
    avgCpuPercent: find(text, 'Avg CPU usage'),
    peakWorkingSetBytes: find(text, 'Peak working set size'),
    minMs: sec('Min Latency'),
    maxMs: sec('Max Latency'),
    p50Ms: sec('P50 Latency'),
    p90Ms: sec('P90 Latency'),
    p95Ms: sec('P95 Latency'),
    p99Ms: sec('P99 Latency'),
    p999Ms: sec('P999 Latency'),
    providerLog: provider,
  };
}

/** Per-run latencies (ms) from the tool's result file; the statistics block after the blank line is ignored. */
export function parseResultCsv(raw: string): number[] {
  const out: number[] = [];
  for (const line of raw.replace(/\r\n?/g, '\n').split('\n')) {
    const cols = line.split(',');
    if (cols.length < 5) continue;
    const t = Number(cols[cols.length - 4]);
    if (Number.isFinite(t)) out.push(t * 1000);
  }
  return out;
}
