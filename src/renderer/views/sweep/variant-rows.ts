/**
 * Variant rows of the Sweep builder: the form state of one variant and its conversion to and from a
 * `VariantSpec` (the label preview is the shared `variantLabel`).
 */
import type {
  PruneMethod,
  PruneTarget,
  QuantMode,
  QuantProfile,
  RecoveryMethodName,
  VariantSpec,
} from '../../../common/types/sweep';
import { previewLabel } from '../../util/variant-label';

export interface VariantRow {
  label: string;
  prune: boolean;
  method: PruneMethod;
  target: PruneTarget;
  ratio: number;
  /** Accuracy recovery after pruning; ignored when the row does not prune. */
  recover: RecoveryMethodName | 'none';
  quant: QuantMode | 'none';
  /** Quantization profile of a preset's variant, kept as is (the form has no control for it). */
  profile?: QuantProfile;
}

/** The form row of a variant. */
export function toRow(v: VariantSpec): VariantRow {
  return {
    label: v.label ?? '',
    prune: !!v.prune,
    method: v.prune?.method ?? 'l2',
    target: v.prune?.target ?? 'mlp',
    ratio: v.prune?.ratio ?? 0.3,
    // A preset's pruned variant keeps its choice; ticking "Prune" on a row that had none starts with reconstruction.
    recover: v.prune ? (v.prune.recover ?? 'none') : 'reconstruct',
    quant: v.quant?.mode ?? 'none',
    ...(v.quant?.profile ? { profile: v.quant.profile } : {}),
  };
}

/** The variant a form row stands for (label only when the user typed one). */
export function rowSpec(v: VariantRow): VariantSpec {
  return {
    ...(v.label ? { label: v.label } : {}),
    ...(v.prune
      ? {
          prune: {
            method: v.method,
            target: v.target,
            ratio: v.ratio,
            ...(v.recover !== 'none' ? { recover: v.recover } : {}),
          },
        }
      : {}),
    ...(v.quant !== 'none'
      ? { quant: { mode: v.quant, ...(v.profile && v.quant !== 'fp16' ? { profile: v.profile } : {}) } }
      : {}),
  };
}

/** Label the sweep will give a row that has no typed label. */
export function autoLabel(v: VariantRow): string {
  return previewLabel({ ...rowSpec(v), label: undefined });
}

/** A new row: MLP pruning 30 % with reconstruction. */
export function newRow(): VariantRow {
  return { label: '', prune: true, method: 'l2', target: 'mlp', ratio: 0.3, recover: 'reconstruct', quant: 'none' };
}
