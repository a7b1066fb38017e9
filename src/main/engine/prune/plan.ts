/**
 * Planning: score the dependency groups with an importance criterion and choose the units to remove.
 * The result is a `PruningPlan` that can be saved as JSON and replayed on the same model.
 */
import { sha256Hex } from '../util/hash.js';
import type { ModelProto } from 'onnx-buf';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { serializeModel } from '../onnx/model-io.js';
import { dimsOf } from '../onnx/tensor.js';
import type { VitMap } from '../vit/types.js';
import { buildGroups } from './groups.js';
import { IMPORTANCE_METHODS, type ElementScores } from './importance/element-scores.js';
import { axisSums, reduceGroupSums } from './importance/reduce.js';
import { getElementScoreProvider } from './importance/registry.js';
import { selectGlobal, selectUniform } from './select.js';
import {
  PRUNE_TARGETS,
  type DependencyGroup,
  type GroupKind,
  type PruneOptions,
  type PruneTarget,
  type PruningPlan,
  type VitDims,
} from './types.js';

/** Group kinds a target prunes. */
export function kindsOf(target: PruneTarget): GroupKind[] {
  return target === 'all' ? ['heads', 'mlp', 'embed'] : [target];
}

/** Validate user options; throws INVALID_ARGUMENT with what to do. */
export function validateOptions(
  o: PruneOptions,
): Required<Pick<PruneOptions, 'method' | 'target' | 'ratio' | 'global' | 'roundTo' | 'seed'>> {
  const method = o.method ?? 'l2';
  const target = o.target ?? 'all';
  if (typeof o.ratio !== 'number' || !Number.isFinite(o.ratio) || o.ratio < 0 || o.ratio >= 1) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      `Pruning ratio must be a number in [0, 1) (got ${String(o.ratio)}). Use e.g. 0.3 to remove 30% of the units.`,
    );
  }
  if (!IMPORTANCE_METHODS.includes(method))
    throw new PqvError(
      'INVALID_ARGUMENT',
      `Unknown method "${String(method)}". Use one of: ${IMPORTANCE_METHODS.join(', ')}.`,
    );
  if (!PRUNE_TARGETS.includes(target))
    throw new PqvError(
      'INVALID_ARGUMENT',
      `Unknown target "${String(target)}". Use one of: ${PRUNE_TARGETS.join(', ')}.`,
    );
  const roundTo = o.roundTo ?? 1;
  if (!Number.isInteger(roundTo) || roundTo < 1)
    throw new PqvError('INVALID_ARGUMENT', `round-to must be a positive integer (got ${String(o.roundTo)}).`);
  if ((method === 'taylor' || method === 'hessian') && !o.calibration) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      `The ${method} criterion needs calibration images: pass a data directory (--data DIR).`,
    );
  }
  return { method, target, ratio: o.ratio, global: o.global ?? false, roundTo, seed: o.seed ?? 0 };
}

export function dimsOfVit(v: VitMap): VitDims {
  return {
    dim: v.dim,
    heads: v.blocks.map((b) => b.heads),
    headDim: v.blocks.map((b) => b.headDim),
    mlp: v.blocks.map((b) => b.mlpHidden),
  };
}

/** Dimensions after removing the plan's units. */
export function dimsAfter(before: VitDims, groups: PruningPlan['groups']): VitDims {
  const after: VitDims = {
    dim: before.dim,
    heads: [...before.heads],
    headDim: [...before.headDim],
    mlp: [...before.mlp],
  };
  for (const g of groups) {
    const b = g.block ?? 0;
    if (g.kind === 'embed') after.dim -= g.removed.length;
    else if (g.kind === 'heads') after.heads[b] = (after.heads[b] as number) - g.removed.length;
    else if (g.kind === 'head-dims') after.headDim[b] = (after.headDim[b] as number) - g.removed.length;
    else after.mlp[b] = (after.mlp[b] as number) - g.removed.length;
  }
  return after;
}

/** Score groups and choose what to remove. */
export async function planPruning(
  model: ModelProto,
  vit: VitMap,
  options: PruneOptions,
  op: LongOperationOptions = {},
): Promise<PruningPlan> {
  const o = validateOptions(options);
  const groups = buildGroups(vit, kindsOf(o.target));
  let removed: number[][] = groups.map(() => []);
  if (o.ratio > 0) {
    const provider = await getElementScoreProvider(o.method);
    throwIfAborted(op.signal);
    const wanted = [
      ...new Set(groups.flatMap((g) => g.slices.filter((s) => s.role === 'weight').map((s) => s.initializer))),
    ];
    const scores: ElementScores = await provider({
      model,
      modelPath: options.modelPath ?? '',
      initializers: wanted,
      calibration: options.calibration,
      seed: o.seed,
      signal: op.signal,
      onProgress: op.onProgress,
    });
    throwIfAborted(op.signal);
    const dims = new Map((model.graph?.initializer ?? []).map((t) => [t.name, dimsOf(t)]));
    const sums = axisSums(groups, scores, dims);
    const unitScores = groups.map((g) => reduceGroupSums(g, sums));
    const kinds = [...new Set(groups.map((g) => g.kind))];
    for (const kind of kinds) {
      const ids = groups.map((g, i) => (g.kind === kind ? i : -1)).filter((i) => i >= 0);
      const gs = ids.map((i) => groups[i] as DependencyGroup);
      const sc = ids.map((i) => unitScores[i] as Float64Array);
      const pick =
        o.global && kind !== 'embed'
          ? selectGlobal(gs, sc, o.ratio, o.roundTo)
          : selectUniform(gs, sc, o.ratio, o.roundTo);
      ids.forEach((gi, k) => (removed[gi] = pick[k] as number[]));
    }
    op.onProgress?.({ stage: 'plan', done: groups.length, total: groups.length });
  } else {
    removed = groups.map(() => []);
  }
  const planGroups = groups.map((g, i) => ({
    id: g.id,
    kind: g.kind,
    ...(g.block !== undefined ? { block: g.block } : {}),
    units: g.units,
    removed: removed[i] as number[],
  }));
  const before = dimsOfVit(vit);
  return {
    format: 'pqv-pruning-plan',
    version: 1,
    modelSha256: options.modelSha256 ?? sha256Hex(serializeModel(model)),
    method: o.method,
    target: o.target,
    ratio: o.ratio,
    global: o.global,
    roundTo: o.roundTo,
    groups: planGroups,
    before,
    after: dimsAfter(before, planGroups),
    createdAt: new Date().toISOString(),
  };
}
