/**
 * Sweep types (contract): a sweep file (`pqv sweep --config FILE`), its expanded plan, live events and the
 * summary rows the UI and the report show. The zod schema of the sweep file is in `sweep-schema.ts`.
 */
import type { SerializedError } from '../errors.js';
import type { Backend } from './bench.js';

export const PRUNE_METHODS = ['l1', 'l2', 'taylor', 'hessian', 'random'] as const;
export type PruneMethod = (typeof PRUNE_METHODS)[number];
export const PRUNE_TARGETS = ['heads', 'head-dims', 'mlp', 'embed', 'all'] as const;
export type PruneTarget = (typeof PRUNE_TARGETS)[number];
/** Accuracy recovery after pruning: layer-wise least-squares reconstruction, distillation, or both. */
export const RECOVERY_METHODS = ['reconstruct', 'distill', 'both'] as const;
export type RecoveryMethodName = (typeof RECOVERY_METHODS)[number];
export const QUANT_MODES = ['fp16', 'int8-dynamic', 'int8-static'] as const;
export type QuantMode = (typeof QUANT_MODES)[number];
export const QUANT_PROFILES = ['cpu', 'xnnpack', 'nnapi', 'qnn-htp', 'gpu'] as const;
export type QuantProfile = (typeof QUANT_PROFILES)[number];

/** Structured pruning step. */
export interface PruneSpec {
  method: PruneMethod;
  target: PruneTarget;
  /** Fraction of the target structures removed, 0 < ratio < 1. */
  ratio: number;
  /** Recover accuracy after pruning (teacher = the unpruned model; needs calibration images). */
  recover?: RecoveryMethodName;
}

/** Quantization step, applied after pruning. */
export interface QuantSpec {
  mode: QuantMode;
  /** Backend profile of the quantizer (which ops to quantize, QDQ layout). Default `cpu`. */
  profile?: QuantProfile;
}

/** One model variant. No `prune` and no `quant` = the baseline (always part of a sweep). */
export interface VariantSpec {
  /** Label shown in tables; generated from the spec when absent (e.g. `l2-all-30+int8-static`). */
  label?: string;
  prune?: PruneSpec;
  quant?: QuantSpec;
}

/** Which devices and backends a sweep benchmarks on. */
export interface SweepTargets {
  /** `all` = this computer + every connected phone; `host` = this computer only; or a list (`host` and/or serials). */
  devices: 'all' | 'host' | string[];
  /** Phone backends to try; each phone gets those its runner supports. `auto` (default) = cpu, xnnpack + whatever else it supports. */
  backends?: 'auto' | Backend[];
}

/** Benchmark repetition settings, shared by every (variant, device, backend) run. */
export interface SweepBenchSettings {
  /** Timed runs per benchmark. */
  runs: number;
  /** Untimed warm-up runs. */
  warmup: number;
  /** Benchmarks per (variant, device, backend); the one with the median p50 is kept. Default 1. */
  repeats?: number;
  /** Intra-op threads (0 = runtime default). */
  threads?: number;
}

/** A sweep file as written by the user (YAML or JSON). */
export interface SweepSpec {
  name: string;
  /** ONNX model path (relative paths resolve against the sweep file's folder). */
  model: string;
  /** Test image folder for accuracy. */
  dataset: string;
  /** Calibration image folder (static quantization, data-driven pruning). Default: `dataset`. */
  calibDataset?: string;
  /** Deterministic class-balanced subset of the test set. */
  evalLimit?: number;
  /** Calibration images used. */
  calibLimit?: number;
  variants: VariantSpec[];
  targets: SweepTargets;
  bench: SweepBenchSettings;
  /** How long a device that disappeared is waited for before its runs fail, ms. Default 120000. */
  deviceWaitMs?: number;
}

/** A variant of the expanded plan. */
export interface PlannedVariant {
  /** Spec hash (hex, 16 chars): identity of the variant inside the sweep and in the variants cache. */
  key: string;
  label: string;
  prune?: PruneSpec;
  quant?: QuantSpec;
  isBaseline: boolean;
}

export interface PlannedTarget {
  /** `host` or an adb serial. */
  device: string;
  backend: Backend;
}

export interface PlannedRun extends PlannedTarget {
  variantKey: string;
}

/** The expanded sweep: every variant × every target. */
export interface SweepPlan {
  spec: SweepSpec;
  variants: PlannedVariant[];
  targets: PlannedTarget[];
  runs: PlannedRun[];
}

export type SweepStage = 'compress' | 'evaluate' | 'push' | 'benchmark';
export type SweepState = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
export type SweepRunStatus = 'ok' | 'failed' | 'cancelled' | 'pending';

/** A failure with a hint saying what to do. */
export interface SweepError extends SerializedError {
  hint?: string;
}

/** One finished (or failed) benchmark of a sweep, as recorded in the store. */
export interface SweepRunResult extends PlannedRun {
  status: Exclude<SweepRunStatus, 'pending'>;
  p50Ms?: number;
  p90Ms?: number;
  meanMs?: number;
  initMs?: number;
  peakRssBytes?: number;
  error?: SweepError;
}

/** What compression produced for a variant. */
export interface VariantBuild {
  key: string;
  label: string;
  path: string;
  /** SHA-256 of the model bytes. */
  sha256: string;
  bytes: number;
  params: number;
  /** Label of an earlier variant with identical bytes: its benchmarks are shared. */
  duplicateOf?: string;
}

/** Live events of a running sweep. */
export type SweepEngineEvent =
  | {
      type: 'started';
      sweepId: string;
      resumed: boolean;
      variants: number;
      targets: PlannedTarget[];
      totalRuns: number;
      doneRuns: number;
    }
  | {
      type: 'stage';
      stage: SweepStage;
      state: 'start' | 'done' | 'failed';
      variant: string;
      device?: string;
      backend?: Backend;
      detail?: string;
    }
  | {
      type: 'progress';
      scope: 'overall' | 'device' | 'host';
      device?: string;
      done: number;
      total: number;
      etaMs?: number;
      detail?: string;
    }
  | { type: 'variant-built'; build: VariantBuild; cached: boolean }
  | { type: 'variant-evaluated'; variant: string; key: string; top1: number; top5: number; n: number }
  | { type: 'variant-failed'; variant: string; key: string; error: SweepError }
  | { type: 'run-finished'; run: SweepRunResult; label: string }
  | { type: 'device-lost'; device: string; waitMs: number }
  | { type: 'device-back'; device: string }
  | { type: 'finished'; sweepId: string; state: SweepState; error?: SweepError };

/** One cell of the summary: a variant on one device × backend. */
export interface SweepCell extends PlannedTarget {
  status: SweepRunStatus;
  p50Ms?: number;
  p90Ms?: number;
  meanMs?: number;
  initMs?: number;
  peakRssBytes?: number;
  /** Baseline p50 / this p50 on the same device × backend. */
  speedup?: number;
  /** On the accuracy/latency Pareto front of its device × backend. */
  pareto: boolean;
  error?: SweepError;
}

/** One summary row: a variant with its accuracy, size and every cell. */
export interface SweepRow {
  key: string;
  label: string;
  isBaseline: boolean;
  prune?: PruneSpec;
  quant?: QuantSpec;
  status: 'ok' | 'failed' | 'pending';
  sha256?: string;
  duplicateOf?: string;
  bytes?: number;
  params?: number;
  top1?: number;
  top5?: number;
  evalN?: number;
  /** Size relative to the baseline (bytes / baseline bytes). */
  sizeRatio?: number;
  error?: SweepError;
  cells: SweepCell[];
}

/** Everything the UI and the report need about one sweep. */
export interface SweepResults {
  sweepId: string;
  name: string;
  state: SweepState;
  createdAt: string;
  finishedAt?: string;
  modelPath: string;
  spec: SweepSpec;
  targets: PlannedTarget[];
  rows: SweepRow[];
  counts: { total: number; ok: number; failed: number; pending: number };
}
