/**
 * The demo sweep preset: the bundled Fashion-MNIST DeiT in five variants on this computer and every connected
 * phone, sized to finish in a few minutes on a two-core laptop.
 */
import type { SweepSpec, VariantSpec } from '../../../common/types/sweep.js';

/** The bundled demo files. */
export interface DemoPaths {
  modelPath: string;
  dataDir: string;
  calibDir: string;
}

/**
 * Variants of the demo preset (the baseline is added by the plan). Pruning removes 30 % / 50 % of heads, MLP units
 * and embedding channels (L2 importance), then recovers accuracy by layer-wise reconstruction against the original
 * model; int8 is static QDQ, the form every phone backend can run.
 */
export const DEMO_VARIANTS: VariantSpec[] = [
  { prune: { method: 'l2', target: 'all', ratio: 0.3, recover: 'reconstruct' } },
  { quant: { mode: 'int8-static', profile: 'cpu' } },
  {
    prune: { method: 'l2', target: 'all', ratio: 0.3, recover: 'reconstruct' },
    quant: { mode: 'int8-static', profile: 'cpu' },
  },
  {
    prune: { method: 'l2', target: 'all', ratio: 0.5, recover: 'reconstruct' },
    quant: { mode: 'int8-static', profile: 'cpu' },
  },
  { quant: { mode: 'fp16' } },
];

/** The demo preset: baseline, pruned 30 % + recovery, int8 static, pruned 30 % / 50 % + int8, fp16 on host + every phone. */
export function demoPreset(demo: DemoPaths): SweepSpec {
  return {
    name: 'Demo sweep: Fashion-MNIST DeiT',
    model: demo.modelPath,
    dataset: demo.dataDir,
    calibDataset: demo.calibDir,
    evalLimit: 500,
    calibLimit: 256,
    variants: DEMO_VARIANTS,
    targets: { devices: 'all', backends: 'auto' },
    bench: { runs: 30, warmup: 5, repeats: 1, threads: 0 },
    deviceWaitMs: 120_000,
  };
}
