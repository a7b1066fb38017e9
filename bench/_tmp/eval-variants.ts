import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { evaluateModel } from '../../src/main/engine/evaluate/evaluate.js';
import { resolvePreprocess } from '../../src/main/engine/evaluate/preprocess.js';
import { loadModel, saveModel } from '../../src/main/engine/onnx/model-io.js';
import { planPruning, dimsAfter } from '../../src/main/engine/prune/plan.js';
import { applyPruningPlan } from '../../src/main/engine/prune/prune.js';
import { discoverVit } from '../../src/main/engine/vit/discover.js';
import type { PruneTarget } from '../../src/main/engine/prune/types.js';

const args = process.argv.slice(2);
const opt = (n: string, f: string) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] ?? f : f; };
const variants = opt('--variants', 'current').split(',');
const ps = opt('--p', 'l1,l2').split(',') as ('l1' | 'l2')[];
const ratios = opt('--ratios', '0.3,0.5').split(',').map(Number);
const target = opt('--target', 'embed') as PruneTarget;
const limit = Number(opt('--limit', '1000'));
const V = JSON.parse(readFileSync('bench/_tmp/variants.json', 'utf8')) as Record<string, Record<string, number[]>>;
const modelPath = resolve('resources/demo/fmnist-deit-op17.onnx');
const test = resolve('resources/demo/data/test');
const { model } = await loadModel(modelPath);
const vit = discoverVit(model);
const preprocess = await resolvePreprocess(modelPath, model);
const dir = await mkdtemp(join(tmpdir(), 'pqv-var-'));
for (const v of variants) for (const p of ps) {
  const row: string[] = [];
  for (const ratio of ratios) {
    const plan = await planPruning(model, vit, { method: v === 'random' ? 'random' : p, target, ratio, seed: 0 });
    if (v !== 'random' && v !== 'engine') {
      const sc = V[v]![p]!;
      const g = plan.groups.find((x) => x.kind === 'embed')!;
      const n = g.units - Math.max(1, g.units - Math.floor(g.units * ratio));
      g.removed = Array.from(sc.keys()).sort((a, b) => sc[a]! - sc[b]! || a - b).slice(0, n).sort((a, b) => a - b);
      plan.after = dimsAfter(plan.before, plan.groups);
    }
    const out = join(dir, `m.onnx`);
    await saveModel(applyPruningPlan(model, plan, { vit }), out);
    const ev = await evaluateModel({ modelPath: out, dataDir: test, limit, preprocess });
    row.push((100 * ev.top1).toFixed(2));
  }
  console.log(`${target} ${p} ${v.padEnd(22)} ${ratios.map((r, i) => `${r}:${row[i]}`).join('  ')}`);
  if (v === 'random') break;
}
