/**
 * Experiment: top-1 after structured pruning (no recovery) of the demo model, for each importance
 * criterion and ratio (target `all` unless --target is given). Calibration images for taylor/hessian come from the calib split;
 * accuracy is measured on the test split.
 *
 *   npx tsx bench/importance-table.ts [--samples 256] [--limit 2000] [--ratios 0.2,0.3,0.5] [--methods random,l1,l2,taylor,hessian] [--target all]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { evaluateModel } from '../src/main/engine/evaluate/evaluate.js';
import { resolvePreprocess } from '../src/main/engine/evaluate/preprocess.js';
import { loadModel, saveModel } from '../src/main/engine/onnx/model-io.js';
import { pruneModel } from '../src/main/engine/prune/prune.js';
import type { ImportanceMethod } from '../src/main/engine/prune/importance/element-scores.js';
import type { PruneTarget } from '../src/main/engine/prune/types.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const modelPath = resolve('resources/demo/fmnist-deit-op17.onnx');
const calib = resolve('resources/demo/data/calib');
const test = resolve('resources/demo/data/test');
const samples = Number(opt('--samples', '256'));
const limit = Number(opt('--limit', '2000'));
const ratios = opt('--ratios', '0.2,0.3,0.5').split(',').map(Number);
const methods = opt('--methods', 'random,l1,l2,taylor,hessian').split(',') as ImportanceMethod[];
const target = opt('--target', 'all') as PruneTarget;

const { model } = await loadModel(modelPath);
const preprocess = await resolvePreprocess(modelPath, model);
const dir = await mkdtemp(join(tmpdir(), 'pqv-importance-'));
try {
  const base = await evaluateModel({ modelPath, dataDir: test, limit, preprocess });
  console.log(
    `unpruned top-1 ${(100 * base.top1).toFixed(2)}% on ${base.n} test images; calibration ${samples} images; target ${target}`,
  );
  const rows: [string, ...string[]][] = [];
  for (const method of methods) {
    const row: [string, ...string[]] = [method];
    for (const ratio of ratios) {
      const t0 = performance.now();
      const r = await pruneModel(model, {
        method,
        target,
        ratio,
        seed: 0,
        modelPath,
        calibration: { dataDir: calib, samples },
      });
      const secs = (performance.now() - t0) / 1000;
      const out = join(dir, `${method}-${ratio}.onnx`);
      await saveModel(r.model, out);
      const ev = await evaluateModel({ modelPath: out, dataDir: test, limit, preprocess });
      row.push((100 * ev.top1).toFixed(2));
      console.log(
        `${method.padEnd(8)} ratio ${ratio}: top-1 ${(100 * ev.top1).toFixed(2)}%  params ${r.after.params}  (planning ${secs.toFixed(1)} s)`,
      );
    }
    rows.push(row);
  }
  console.log(`\n| method | ${ratios.map((r) => `ratio ${r}`).join(' | ')} |`);
  console.log(`|---|${ratios.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
