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

/** Variants of the demo preset (the baseline is added by the plan). */
export const DEMO_VARIANTS: VariantSpec[] = [
  { prune: { method: 'l2', target: 'mlp', ratio: 0.3 } },
  { quant: { mode: 'int8-static', profile: 'cpu' } },
  { prune: { method: 'l2', target: 'mlp', ratio: 0.3 }, quant: { mode: 'int8-static', profile: 'cpu' } },
  { quant: { mode: 'fp16' } },
];

/** The demo preset: baseline, L2-pruned MLP 30 %, int8 static, pruned + int8, fp16 on host + every phone. */
export function demoPreset(demo: DemoPaths): SweepSpec {
  return {
    name: 'Demo sweep: Fashion-MNIST DeiT',
    model: demo.modelPath,
    dataset: demo.dataDir,
    calibDataset: demo.calibDir,
    evalLimit: 500,
    calibLimit: 64,
    variants: DEMO_VARIANTS,
    targets: { devices: 'all', backends: 'auto' },
    bench: { runs: 30, warmup: 5, repeats: 1, threads: 0 },
    deviceWaitMs: 120_000,
  };
}
