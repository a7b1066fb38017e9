/**
 * Quantization evidence table for the demo model (and the demo pruned at 0.3 with L2 importance):
 * FP32 / FP16 / int8-dynamic / int8-static (minmax, percentile, entropy) / mixed precision —
 * top-1 on the demo test set, file size, and host p50 latency (batch 1) relative to FP32, with every
 * variant's latency measured side by side in one run (round-robin over the variants).
 *
 *   npx tsx bench/quantize-table.ts [--limit 2000] [--iters 200] [--samples 256] [--threads 1] [--no-prune]
 */
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateModel } from '../src/main/engine/evaluate/evaluate.js';
import { imageBatches } from '../src/main/engine/evaluate/batches.js';
import { balancedSubset, loadDataset } from '../src/main/engine/evaluate/dataset.js';
import { embedPreprocess, resolvePreprocess } from '../src/main/engine/evaluate/preprocess.js';
import { loadModel, saveModel } from '../src/main/engine/onnx/model-io.js';
import { createSession, ort } from '../src/main/engine/onnx/session.js';
import { pruneModel } from '../src/main/engine/prune/prune.js';
import { quantizeFile, type QuantizeFileOptions } from '../src/main/engine/quantize/quantize-file.js';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    limit: { type: 'string', default: '2000' },
    iters: { type: 'string', default: '200' },
    samples: { type: 'string', default: '256' },
    threads: { type: 'string', default: '1' },
    'no-prune': { type: 'boolean', default: false },
  },
});
const limit = Number(values.limit);
const iters = Number(values.iters);
const threads = Number(values.threads);
const demo = join(root, 'resources/demo/fmnist-deit-op17.onnx');
const calib = join(root, 'resources/demo/data/calib');
const testDir = join(root, 'resources/demo/data/test');
const dir = await mkdtemp(join(tmpdir(), 'pqv-quant-table-'));

interface Variant {
  group: string;
  name: string;
  path: string;
  top1?: number;
  bytes?: number;
  p50?: number;
  keptFloat?: number;
}

const RECIPES: Array<[string, Omit<QuantizeFileOptions, 'samples' | 'calibDir'> | undefined]> = [
  ['FP32', undefined],
  ['FP16', { mode: 'fp16' }],
  ['int8-dynamic', { mode: 'int8-dynamic' }],
  ['int8-static minmax', { mode: 'int8-static', method: 'minmax' }],
  ['int8-static percentile', { mode: 'int8-static', method: 'percentile' }],
  ['int8-static entropy', { mode: 'int8-static', method: 'entropy' }],
  ['mixed (percentile, keep-float auto)', { mode: 'int8-static', method: 'percentile', keepFloat: 'auto' }],
];

async function variantsOf(group: string, fp32Path: string): Promise<Variant[]> {
  const out: Variant[] = [];
  for (const [name, recipe] of RECIPES) {
    if (!recipe) {
      out.push({ group, name, path: fp32Path });
      continue;
    }
    const path = join(dir, `${group}-${name.replace(/[^a-z0-9]+/gi, '-')}.onnx`);
    const r = await quantizeFile(fp32Path, path, {
      ...recipe,
      calibDir: recipe.mode === 'int8-static' ? calib : undefined,
      samples: Number(values.samples),
    });
    out.push({ group, name, path, keptFloat: r.keptFloat.length });
    process.stderr.write(`built ${group} ${name}\n`);
  }
  return out;
}

const variants = await variantsOf('demo', demo);
if (!values['no-prune']) {
  const { model } = await loadModel(demo);
  const pruned = await pruneModel(model, { ratio: 0.3, method: 'l2' });
  embedPreprocess(pruned.model, await resolvePreprocess(demo, model));
  const prunedPath = join(dir, 'demo-pruned-0.3.onnx');
  await saveModel(pruned.model, prunedPath);
  variants.push(...(await variantsOf('pruned 0.3 L2', prunedPath)));
}

for (const v of variants) {
  v.bytes = (await stat(v.path)).size;
  v.top1 = (await evaluateModel({ modelPath: v.path, dataDir: testDir, limit })).top1;
  process.stderr.write(`evaluated ${v.group} ${v.name}: ${(v.top1 * 100).toFixed(2)} %\n`);
}

// Latency: one test image, batch 1, all sessions alive, round-robin so every variant sees the same load.
const cfg = await resolvePreprocess(demo, (await loadModel(demo)).model);
const items = balancedSubset(await loadDataset(testDir), 1);
const first = (await imageBatches(items, cfg, 1)[Symbol.asyncIterator]().next()).value;
if (!first) throw new Error('no test image');
const sessions = await Promise.all(variants.map((v) => createSession(v.path, { threads })));
const feed = (s: ort.InferenceSession) => ({
  [s.inputNames[0] ?? 'pixel_values']: new ort.Tensor('float32', first.data, first.dims),
});
const times = variants.map(() => [] as number[]);
for (let i = 0; i < iters + 10; i++) {
  for (const [k, s] of sessions.entries()) {
    const t0 = performance.now();
    await s.run(feed(s));
    if (i >= 10) times[k]?.push(performance.now() - t0);
  }
}
for (const [k, v] of variants.entries()) v.p50 = [...(times[k] ?? [])].sort((a, b) => a - b)[Math.floor(iters / 2)];

const base = variants.find((v) => v.group === 'demo' && v.name === 'FP32');
console.log(
  `\nDemo model (fmnist-deit-op17), top-1 on ${limit} test images, calibration ${values.samples} images, host CPU, ${threads} thread(s), batch 1, p50 over ${iters} round-robin runs\n`,
);
console.log('| variant | top-1 | size (MB) | size vs FP32 | p50 (ms) | latency vs FP32 |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const v of variants) {
  const label = `${v.group === 'demo' ? '' : `${v.group}: `}${v.name}${v.keptFloat ? ` [${v.keptFloat} float]` : ''}`;
  console.log(
    `| ${label} | ${((v.top1 ?? 0) * 100).toFixed(2)} % | ${((v.bytes ?? 0) / 1e6).toFixed(2)} | ${(((v.bytes ?? 0) / (base?.bytes ?? 1)) * 100).toFixed(0)} % | ${(v.p50 ?? 0).toFixed(3)} | ${((v.p50 ?? 0) / (base?.p50 ?? 1)).toFixed(2)}× |`,
  );
}
await Promise.all(sessions.map((s) => s.release()));
