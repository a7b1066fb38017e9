/**
 * Static quantization time vs the time of the calibration forward passes alone (goal ≤ 1.5×), on the demo
 * model, measured side by side (interleaved rounds, medians).
 *
 *   npx tsx bench/quantize-speed.ts [--samples 128] [--rounds 5]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolvePreprocess } from '../src/main/engine/evaluate/preprocess.js';
import { loadModel } from '../src/main/engine/onnx/model-io.js';
import { createSession, runFloat } from '../src/main/engine/onnx/session.js';
import { datasetSource, type CalibrationSource } from '../src/main/engine/quantize/calibration.js';
import { quantizeModel } from '../src/main/engine/quantize/quantize.js';
import type { CalibrationMethod } from '../src/main/engine/quantize/types.js';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { samples: { type: 'string', default: '128' }, rounds: { type: 'string', default: '5' } },
});
const samples = Number(values.samples);
const rounds = Number(values.rounds);
const modelPath = join(root, 'resources/demo/fmnist-deit-op17.onnx');
const { model } = await loadModel(modelPath);
const cfg = await resolvePreprocess(modelPath, model);
const source = await datasetSource(join(root, 'resources/demo/data/calib'), cfg, samples, 16);

/** The unavoidable part: decode the calibration images and run the float model over them. */
async function forwardOnly(src: CalibrationSource): Promise<number> {
  const t0 = performance.now();
  const s = await createSession(model);
  for await (const b of src.batches()) await runFloat(s, b.data, b.dims);
  await s.release();
  return (performance.now() - t0) / 1000;
}

interface Recipe {
  label: string;
  method: CalibrationMethod;
  exactHistogram?: boolean;
}

async function quantize(x: Recipe): Promise<{ total: number; timings: Record<string, number> }> {
  const t0 = performance.now();
  const r = await quantizeModel(model, {
    mode: 'int8-static',
    calibration: source,
    method: x.method,
    exactHistogram: x.exactHistogram,
    check: false,
  });
  return { total: (performance.now() - t0) / 1000, timings: r.timings };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const methods: Recipe[] = [
  { label: 'minmax', method: 'minmax' },
  { label: 'percentile', method: 'percentile' },
  { label: 'entropy', method: 'entropy' },
  { label: 'entropy (exact histogram)', method: 'entropy', exactHistogram: true },
];
const fwd: number[] = [];
const q = new Map<Recipe, number[]>(methods.map((m) => [m, []]));
const last = new Map<Recipe, Record<string, number>>();
await forwardOnly(source); // warm-up (image cache, ORT init)
for (let r = 0; r < rounds; r++) {
  fwd.push(await forwardOnly(source));
  for (const m of methods) {
    const x = await quantize(m);
    q.get(m)?.push(x.total);
    last.set(m, x.timings);
  }
}
const base = median(fwd);
console.log(`demo model, ${source.count} calibration images, ${rounds} interleaved rounds (medians)`);
console.log(`calibration forward passes alone: ${base.toFixed(2)} s`);
console.log('method                     quantize (s)  ratio  stages of the last run (s)');
for (const m of methods) {
  const t = median(q.get(m) ?? []);
  const st = Object.entries(last.get(m) ?? {})
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
  console.log(`${m.label.padEnd(26)} ${t.toFixed(2).padStart(12)}  ${(t / base).toFixed(2)}×  ${st}`);
}
