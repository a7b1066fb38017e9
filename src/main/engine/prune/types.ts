/**
 * Pruning contract: dependency groups (as data), options, and the replayable pruning plan.
 */
import type { ImportanceMethod, CalibrationSource } from './importance/element-scores.js';

/** What a dependency group prunes. */
export type GroupKind = 'heads' | 'head-dims' | 'mlp' | 'embed';

/** One coupled slice: the elements of one initializer use that belong to each prunable unit. */
export interface GroupSlice {
  initializer: string;
  /** Consuming node index and input slot (where the sliced tensor is used). */
  node: number;
  input: number;
  axis: number;
  /**
   * `weight` slices are scored by importance criteria; `bias` slices are only cut; `reader` slices
   * are weights that only read a residual-stream channel (LayerNorm γ and the layers after it in a
   * pre-norm model, the classifier): cut with the unit but not scored (see importance/reduce.ts).
   */
  role: 'weight' | 'bias' | 'reader';
  /** For each unit, the element indices along `axis`. */
  indices: number[][];
}

/** A set of coupled slices pruned together. */
export interface DependencyGroup {
  /** Stable id, e.g. `block3.heads`, `embed`. */
  id: string;
  kind: GroupKind;
  /** Block index for per-block groups. */
  block?: number;
  /** Number of prunable units (heads, head-dim channels, hidden units, embedding channels). */
  units: number;
  slices: GroupSlice[];
  /** Reshape nodes whose targets encode this group's width (rewritten by surgery). */
  reshapes: number[];
}

/** `all` prunes heads, MLP hidden units and embedding channels. */
export const PRUNE_TARGETS = ['heads', 'head-dims', 'mlp', 'embed', 'all'] as const;
export type PruneTarget = (typeof PRUNE_TARGETS)[number];

/** Options of `planPruning`. */
export interface PruneOptions {
  /** Importance criterion. Default `l2`. */
  method?: ImportanceMethod;
  /** What to prune. Default `all`. */
  target?: PruneTarget;
  /** Fraction of units to remove in each group, in [0, 1). */
  ratio: number;
  /** Rank units across blocks instead of removing the same fraction from every block. */
  global?: boolean;
  /** Keep a multiple of this many channels (MLP units, embedding channels, head-dim channels). Default 1. */
  roundTo?: number;
  /** Seed for `random`. Default 0. */
  seed?: number;
  /** Calibration data for `taylor` / `hessian`. */
  calibration?: CalibrationSource;
  /** Model file path (for criteria that need its preprocessing sidecar). */
  modelPath?: string;
  /** SHA-256 of the model file; computed from the serialized model when absent. */
  modelSha256?: string;
}

/** Dimensions of a ViT before/after pruning. */
export interface VitDims {
  dim: number;
  heads: number[];
  headDim: number[];
  mlp: number[];
}

/** A saved, replayable pruning decision. */
export interface PruningPlan {
  format: 'pqv-pruning-plan';
  version: 1;
  modelSha256: string;
  method: ImportanceMethod;
  target: PruneTarget;
  ratio: number;
  global: boolean;
  roundTo: number;
  groups: Array<{ id: string; kind: GroupKind; block?: number; units: number; removed: number[] }>;
  before: VitDims;
  after: VitDims;
  createdAt: string;
}
