/**
 * The seam between importance criteria and dependency groups.
 *
 * Every criterion (magnitude L1/L2, Taylor, Hessian, random) first yields a per-element score for
 * each initializer it scores (same length and layout as the initializer). A dependency group then
 * reduces the scores of its scored slices to one score per prunable unit, the same way for every
 * criterion (see reduce.ts: sum over each slice, each slice divided by its own mean unit score, then
 * the mean over coupled layers; embedding channels are scored on the layers that write the residual
 * stream). Criteria are therefore pure functions of (weights, gradient statistics).
 */
import type { ModelProto } from 'onnx-buf';
import type { LongOperationOptions } from '../../../../common/progress.js';

/** Importance criteria users can choose. */
export const IMPORTANCE_METHODS = ['l1', 'l2', 'taylor', 'hessian', 'random'] as const;
export type ImportanceMethod = (typeof IMPORTANCE_METHODS)[number];

/** Initializer name → per-element score, same element order as the initializer. */
export type ElementScores = Map<string, Float32Array>;

/** What a data-driven criterion needs: calibration images with the model's preprocessing. */
export interface CalibrationSource {
  /** ImageFolder (or labels.csv) directory. */
  dataDir: string;
  /** Number of calibration images (class-balanced, deterministic). Default 256. */
  samples?: number;
  /** Batch size for forward/backward passes. Default 32. */
  batchSize?: number;
}

/** Options passed to every element-score provider. */
export interface ElementScoreRequest extends LongOperationOptions {
  model: ModelProto;
  /** Path of the model file (to find its preprocessing sidecar). */
  modelPath: string;
  /** Initializers to score (weights and biases of the dependency groups). */
  initializers: string[];
  /** Required by `taylor` and `hessian`. */
  calibration?: CalibrationSource;
  /** Seed for `random`. */
  seed?: number;
}

/** A provider computes element scores for one criterion. */
export type ElementScoreProvider = (request: ElementScoreRequest) => Promise<ElementScores>;
