/**
 * Ready-made sweeps offered by the Sweep view: the demo preset of the sweep pipeline, and a quick
 * this-computer-only variant of it for a first look in about a minute.
 */
import type { SweepPreset } from '../../common/api.js';
import { demoPreset, type DemoPaths } from '../engine/sweep/index.js';

export function sweepPresets(demo: DemoPaths): SweepPreset[] {
  const full = demoPreset(demo);
  return [
    {
      id: 'demo',
      name: 'Demo: prune + quantize the Fashion-MNIST ViT',
      description: 'Baseline, 30% pruned, int8, pruned + int8 and fp16 on this computer and every connected phone.',
      config: full,
    },
    {
      id: 'quick',
      name: 'Quick look: this computer only',
      description: 'Baseline, 30% pruned and int8 dynamic on this computer; 200 test images, 20 timed runs.',
      config: {
        ...full,
        name: 'Quick sweep',
        evalLimit: 200,
        variants: [{ prune: { method: 'l2', target: 'all', ratio: 0.3 } }, { quant: { mode: 'int8-dynamic' } }],
        targets: { devices: 'host', backends: 'auto' },
        bench: { runs: 20, warmup: 3, repeats: 1, threads: 0 },
      },
    },
  ];
}
