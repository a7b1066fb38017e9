/**
 * Variant labels: the short name of a sweep variant generated from its spec (`baseline`, `l2-all-30-rec`,
 * `l2-all-30-rec+int8-static`, `int8-dynamic-nnapi`). Shared by the sweep plan, the UI preview and reports.
 */
import type { VariantSpec } from './types/sweep.js';

function pct(ratio: number): string {
  const p = Math.round(ratio * 1000) / 10;
  return String(p).replace('.', '_');
}

/** The label of a variant: its own `label` when set, else one generated from the spec. */
export function variantLabel(v: VariantSpec): string {
  if (v.label) return v.label;
  const parts: string[] = [];
  if (v.prune) {
    const rec = v.prune.recover ? `-${v.prune.recover === 'reconstruct' ? 'rec' : v.prune.recover}` : '';
    parts.push(`${v.prune.method}-${v.prune.target}-${pct(v.prune.ratio)}${rec}`);
  }
  if (v.quant)
    parts.push(v.quant.profile && v.quant.profile !== 'cpu' ? `${v.quant.mode}-${v.quant.profile}` : v.quant.mode);
  return parts.length ? parts.join('+') : 'baseline';
}
