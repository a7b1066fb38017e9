/**
 * Public pruning API: plan, apply (replay) and the one-call `pruneModel`.
 */
import type { ModelProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { serializeModel } from '../onnx/model-io.js';
import { discoverVit } from '../vit/discover.js';
import type { VitMap } from '../vit/types.js';
import { countMacs, countParams, countStoredParams } from './count.js';
import { planPruning } from './plan.js';
import { sha256Hex } from '../util/hash.js';
import { applyPlanToModel } from './surgery.js';
import type { PruneOptions, PruningPlan } from './types.js';

export { planPruning } from './plan.js';
export { countMacs, countParams, countStoredParams, analyticParams, analyticMacs, shapeOf } from './count.js';
export type { PruneOptions, PruningPlan, DependencyGroup } from './types.js';

/** Options of `applyPruningPlan`. */
export interface ApplyOptions {
  /** SHA-256 of the model file; computed from the serialized model when absent. */
  modelSha256?: string;
  /** Skip the check that the plan was made for this model. Default false. */
  skipVerify?: boolean;
  /** A VitMap already discovered on this model. */
  vit?: VitMap;
}

/** Check a parsed JSON value is a pruning plan. */
export function parsePlan(value: unknown): PruningPlan {
  const p = value as Partial<PruningPlan> | null;
  if (
    !p ||
    p.format !== 'pqv-pruning-plan' ||
    p.version !== 1 ||
    !Array.isArray(p.groups) ||
    typeof p.modelSha256 !== 'string'
  ) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      'This file is not a PQV Studio pruning plan (format pqv-pruning-plan, version 1). Save one with --plan-out.',
    );
  }
  return p as PruningPlan;
}

/** Replay a plan: returns the pruned model (the input is not modified). */
export function applyPruningPlan(model: ModelProto, plan: PruningPlan, options: ApplyOptions = {}): ModelProto {
  if (!options.skipVerify) {
    const sha = options.modelSha256 ?? sha256Hex(serializeModel(model));
    if (sha !== plan.modelSha256) {
      throw new PqvError(
        'INVALID_ARGUMENT',
        `The pruning plan was made for another model (sha256 ${plan.modelSha256.slice(0, 12)}…, this one is ${sha.slice(0, 12)}…). Make a new plan for this model.`,
      );
    }
  }
  return applyPlanToModel(model, plan, options.vit);
}

export interface PruneResult {
  model: ModelProto;
  plan: PruningPlan;
  before: { params: number; storedParams: number; macs: number; vit: VitMap };
  after: { params: number; storedParams: number; macs: number; vit: VitMap };
}

/** Discover, plan (or replay `plan`), apply, and measure. */
export async function pruneModel(
  model: ModelProto,
  options: PruneOptions & { plan?: PruningPlan },
  op: LongOperationOptions = {},
): Promise<PruneResult> {
  const vit = discoverVit(model);
  const sha = options.modelSha256 ?? sha256Hex(serializeModel(model));
  const plan = options.plan ?? (await planPruning(model, vit, { ...options, modelSha256: sha }, op));
  const pruned = applyPruningPlan(model, plan, { modelSha256: sha, vit });
  const vitAfter = pruned === model ? vit : discoverVit(pruned);
  return {
    model: pruned,
    plan,
    before: { params: countParams(vit), storedParams: countStoredParams(model), macs: countMacs(vit), vit },
    after: {
      params: countParams(vitAfter),
      storedParams: countStoredParams(pruned),
      macs: countMacs(vitAfter),
      vit: vitAfter,
    },
  };
}
