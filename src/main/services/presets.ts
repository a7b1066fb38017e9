/**
 * Ready-made sweeps offered by the Sweep view. The demo preset is the sweep pipeline's own `demoPreset()` (the single
 * source of the demo sweep); the quick preset is derived from it: this computer only, its first two variants
 * (MLP-pruned and int8), fewer test images and timed runs, for a first look in about a minute.
 */
import type { SweepPreset } from '../../common/api.js';
import { DEMO_VARIANTS, demoPreset, variantLabel, type DemoPaths } from '../engine/sweep/index.js';

/** Variants of the quick preset: the demo's pruned variant and its int8 variant. */
const QUICK_VARIANTS = DEMO_VARIANTS.slice(0, 2);

const labels = (variants: typeof DEMO_VARIANTS): string => ['baseline', ...variants.map(variantLabel)].join(', ');

export function sweepPresets(demo: DemoPaths): SweepPreset[] {
  const full = demoPreset(demo);
  const quick = {
    ...full,
    name: 'Quick sweep',
    evalLimit: 200,
    variants: QUICK_VARIANTS,
    targets: { devices: 'host' as const, backends: 'auto' as const },
    bench: { runs: 20, warmup: 3, repeats: 1, threads: 0 },
  };
  return [
    {
      id: 'demo',
      name: 'Demo: prune + quantize the Fashion-MNIST ViT',
      description: `${labels(full.variants)} on this computer and every connected phone; ${full.evalLimit} test images, ${full.bench.runs} timed runs.`,
      config: full,
    },
    {
      id: 'quick',
      name: 'Quick look: this computer only',
      description: `${labels(quick.variants)} on this computer; ${quick.evalLimit} test images, ${quick.bench.runs} timed runs.`,
      config: quick,
    },
  ];
}
