/**
 * Experiment: top-1 of the demo model pruned with L2 (target all) at each ratio, before recovery and
 * after each recovery method (layer-wise reconstruction, distillation, both), with the time each
 * recovery took. Calibration images come from the calib split; accuracy is measured on the test split
 * with `evaluateModel`.
 *
 *   npx tsx bench/recovery-table.ts [--ratios 0.3,0.5] [--samples 500] [--steps 200] [--lr X] [--limit 2000] [--methods reconstruct,distill,both]
 *
 * Without --lr each method uses its default learning rate (3e-4 for distill, 3e-5 for the distillation after
 * reconstruction in both).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { evaluateModel } from '../src/main/engine/evaluate/evaluate.js';
import { resolvePreprocess } from '../src/main/engine/evaluate/preprocess.js';
import { loadModel, saveModel } from '../src/main/engine/onnx/model-io.js';
import { pruneModel } from '../src/main/engine/prune/prune.js';
import { recoverAccuracy, type RecoveryMethod } from '../src/main/engine/recover/recover.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const modelPath = resolve('resources/demo/fmnist-deit-op17.onnx');
const calib = resolve('resources/demo/data/calib');
const test = resolve('resources/demo/data/test');
const ratios = opt('--ratios', '0.3,0.5').split(',').map(Number);
const samples = Number(opt('--samples', '500'));
const steps = Number(opt('--steps', '200'));
const lr = args.includes('--lr') ? Number(opt('--lr', '')) : undefined;
const limit = Number(opt('--limit', '2000'));
const methods = opt('--methods', 'reconstruct,distill,both').split(',') as RecoveryMethod[];

const pct = (x: number): string => (100 * x).toFixed(2);
const { model } = await loadModel(modelPath);
const preprocess = await resolvePreprocess(modelPath, model);
const dir = await mkdtemp(join(tmpdir(), 'pqv-recovery-'));
try {
  const base = await evaluateModel({ modelPath, dataDir: test, limit, preprocess });
  console.log(
    `unpruned top-1 ${pct(base.top1)}% on ${base.n} test images; calibration ${samples} images; distillation ${steps} steps, lr ${lr ?? 'default'}`,
  );
  const rows: string[][] = [];
  for (const ratio of ratios) {
    const pruned = await pruneModel(model, { method: 'l2', target: 'all', ratio });
    const prunedPath = join(dir, `pruned-${ratio}.onnx`);
    await saveModel(pruned.model, prunedPath);
    const ev = await evaluateModel({ modelPath: prunedPath, dataDir: test, limit, preprocess });
    console.log(
      `ratio ${ratio}: params ${pruned.before.params} → ${pruned.after.params}; pruned top-1 ${pct(ev.top1)}%`,
    );
    const row = [String(ratio), String(pruned.after.params), pct(ev.top1)];
    for (const method of methods) {
      const t0 = performance.now();
      const r = await recoverAccuracy(pruned.model, model, {
        method,
        calibration: { dataDir: calib, samples },
        modelPath,
        distill: { steps, lr },
      });
      const secs = (performance.now() - t0) / 1000;
      const out = join(dir, `${method}-${ratio}.onnx`);
      await saveModel(r.model, out);
      const after = await evaluateModel({ modelPath: out, dataDir: test, limit, preprocess });
      const rep = r.report;
      const lrUsed = rep.distillation ? `, lr ${rep.distillation.lr}` : '';
      const parts = [
        rep.reconstruction ? `reconstruct ${rep.reconstruction.seconds.toFixed(0)} s` : '',
        rep.distillation
          ? `distill ${rep.distillation.seconds.toFixed(0)} s (loss ${rep.distillation.lossFirst.toFixed(3)} → ${rep.distillation.lossLast.toFixed(3)}${lrUsed})`
          : '',
      ].filter(Boolean);
      console.log(
        `  ${method.padEnd(11)} top-1 ${pct(after.top1)}%  calib KL ${rep.before.kl.toFixed(4)} → ${rep.after.kl.toFixed(4)}  total ${secs.toFixed(0)} s [${parts.join(', ')}]`,
      );
      row.push(`${pct(after.top1)} (${secs.toFixed(0)} s)`);
    }
    rows.push(row);
  }
  console.log(`\n| ratio | params | pruned | ${methods.join(' | ')} |`);
  console.log(`|---|---|---|${methods.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\nunpruned: ${pct(base.top1)}%; cells: top-1 % on ${base.n} test images (recovery wall time).`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
