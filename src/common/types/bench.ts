/** Latency benchmark types (contract), shared by host and on-device benchmarks. */

/** Backends a benchmark can target. `host` runs on this computer's CPU with onnxruntime-node. */
export const BACKENDS = ['host', 'cpu', 'xnnpack', 'nnapi', 'gpu', 'npu'] as const;
export type Backend = (typeof BACKENDS)[number];

export interface BenchOptions {
  /** Timed runs after warm-up. Default 50. */
  runs?: number;
  /** Untimed warm-up runs. Default 5. */
  warmup?: number;
  /** Intra-op threads; 0 or undefined lets the runtime decide. */
  threads?: number;
  /** Path to a raw little-endian float32 input file; random inputs when absent. */
  inputPath?: string;
}

/** Result of one benchmark run (`pqv bench --json`). Times are milliseconds. */
export interface BenchResult {
  device: string;
  backend: Backend;
  /** Session creation time. */
  initMs: number;
  /** First inference (cold) time. */
  firstMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  stdMs: number;
  /** Peak resident set size of the benchmark process, bytes. */
  peakRssBytes: number;
  runs: number;
  warmup: number;
  /** Intra-op threads requested; 0 = the runtime's default. */
  threads: number;
  /** On-device only: share of graph nodes per execution provider (from the profile). */
  placement?: Record<string, number>;
  /** On-device only: thermal state before/after. */
  thermal?: ThermalSnapshotPair;
  /** 95th percentile latency, when the benchmark reports it. */
  p95Ms?: number;
  /** Average CPU usage of the benchmark process, percent (on-device runner). */
  cpuPercent?: number | null;
  /** On-device only: the runner that produced the numbers. */
  runner?: { name: string; version: string | null; abi: string };
  /** On-device only: model of the phone (e.g. "Pixel 8"). */
  deviceModel?: string;
  /** Coded warnings that did not stop the run (e.g. a runner version with known flaws). */
  warnings?: Array<{ code: string; message: string }>;
}

export interface ThermalSnapshot {
  /** Android thermal status 0 (none) … 6 (shutdown); null when the phone does not report it. */
  status: number | null;
  /** Battery temperature in °C. */
  batteryTempC: number | null;
}

export interface ThermalSnapshotPair {
  before: ThermalSnapshot;
  after: ThermalSnapshot;
}
