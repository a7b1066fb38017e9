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
  threads: number;
  /** On-device only: share of graph nodes per execution provider (from the profile). */
  placement?: Record<string, number>;
  /** On-device only: thermal state before/after. */
  thermal?: ThermalSnapshotPair;
}

export interface ThermalSnapshot {
  /** Android thermal status 0 (none) … 6 (shutdown). */
  status: number;
  /** Battery temperature in °C. */
  batteryTempC: number | null;
}

export interface ThermalSnapshotPair {
  before: ThermalSnapshot;
  after: ThermalSnapshot;
}
