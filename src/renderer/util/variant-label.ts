/**
 * Recovery hints as the Sweep builder shows them; the label preview is the shared `variantLabel`.
 */
import type { RecoveryMethodName } from '../../common/types/sweep';

export { variantLabel as previewLabel } from '../../common/variant-label';

/** What each recovery choice does, for the builder's hints (all use the calibration images). */
export const RECOVERY_HINTS: Record<RecoveryMethodName | 'none', string> = {
  none: 'the pruned model as is; accuracy drops with the ratio',
  reconstruct: "least-squares refit of each layer to the original model's outputs — fast",
  distill: 'knowledge-distillation fine-tuning against the original model — slower',
  both: 'least-squares refit, then distillation fine-tuning — slowest',
};
