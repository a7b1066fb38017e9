/** Results store records (contract): what the CLI, server and UI read back from the results database. */
import type { SerializedError } from '../errors.js';

export type RunStatus = 'ok' | 'failed' | 'cancelled';
/** What a run measured: latency (`bench`) or accuracy (`eval`). */
export type RunKind = 'bench' | 'eval';

export interface ModelRecord {
  id: number;
  sha256: string;
  path: string;
  name: string;
  /** `ModelSummary` as stored (JSON-decoded), if known. */
  summary: unknown;
  addedAt: string;
}

export interface VariantRecord {
  id: number;
  modelId: number;
  sha256: string;
  label: string;
  /** Compression spec (JSON-decoded). */
  spec: unknown;
  path: string | null;
  params: number | null;
  bytes: number | null;
  top1: number | null;
  top5: number | null;
  evalN: number | null;
  createdAt: string;
}

export interface RunRecord {
  id: number;
  sweepId: string | null;
  variantId: number | null;
  kind: RunKind;
  modelSha256: string;
  device: string;
  backend: string;
  status: RunStatus;
  /** `BenchResult` or `EvalResult` (JSON-decoded) when ok. */
  result: unknown;
  error: SerializedError | null;
  startedAt: string;
  finishedAt: string | null;
}

export type SweepStatus = 'pending' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface SweepRecord {
  id: string;
  createdAt: string;
  config: unknown;
  status: SweepStatus;
  finishedAt: string | null;
}

export interface DeviceRecord {
  serial: string;
  facts: unknown;
  lastSeen: string;
}
