/**
 * Ready-made sweeps offered by the Sweep view. The demo preset runs the bundled Fashion-MNIST DeiT through
 * baseline, quantized and pruned variants on this computer.
 */
import type { SweepPreset } from '../../common/api.js';

export function sweepPresets(demo: { modelPath: string; dataDir: string; calibDir: string }): SweepPreset[] {
  return [
    {
      id: 'demo',
      name: 'Demo: prune + quantize the Fashion-MNIST ViT',
      description: 'Baseline, int8 dynamic, 30% pruned, and 30% pruned + int8 on this computer; 500 test images.',
      config: {
        name: 'Demo sweep',
        model: demo.modelPath,
        dataset: demo.dataDir,
        calibDataset: demo.calibDir,
        evalLimit: 500,
        calibLimit: 100,
        variants: [
          {},
          { quant: { mode: 'int8-dynamic' } },
          { prune: { method: 'l2', target: 'all', ratio: 0.3 } },
          { prune: { method: 'l2', target: 'all', ratio: 0.3 }, quant: { mode: 'int8-dynamic' } },
        ],
        targets: { devices: 'host', backends: 'auto' },
        bench: { runs: 30, warmup: 5, repeats: 1, threads: 0 },
      },
    },
    {
      id: 'phones',
      name: 'Phones: every connected device and backend',
      description: 'Baseline, fp16, int8 static and 50% head pruning on this computer and every connected phone.',
      config: {
        name: 'Phone sweep',
        model: demo.modelPath,
        dataset: demo.dataDir,
        calibDataset: demo.calibDir,
        evalLimit: 1000,
        calibLimit: 200,
        variants: [
          {},
          { quant: { mode: 'fp16' } },
          { quant: { mode: 'int8-static' } },
          { prune: { method: 'taylor', target: 'heads', ratio: 0.5 }, quant: { mode: 'int8-static' } },
        ],
        targets: { devices: 'all', backends: 'auto' },
        bench: { runs: 50, warmup: 10, repeats: 3, threads: 0 },
      },
    },
  ];
}
