/**
 * Pruning speed and memory vs onnxruntime-node session creation, measured side by side.
 *
 * Each measurement runs in a fresh child process: (a) load + discover + plan (L2, all targets,
 * ratio 0.5) + surgery + serialize; (b) onnxruntime-node InferenceSession.create on the same file.
 * Prints median times, their ratio (goal ≤ 2×) and the pruning child's peak RSS vs model bytes
 * (goal ≤ 3×), absolute and above the process baseline.
 *
 *   npx tsx bench/gen-vit.ts && npx tsx bench/prune-speed.ts [MODEL.onnx] [--reps N]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ChildResult {
  ms: number;
  baseRss: number;
  maxRss: number;
  phases?: Record<string, number>;
}

async function child(mode: string, path: string): Promise<ChildResult> {
  const baseRss = process.memoryUsage().rss;
  const phases: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string): void => {
    const now = performance.now();
    phases[name] = now - t;
    t = now;
  };
  if (mode === 'ort') {
    const ort = await import('onnxruntime-node');
    const start = performance.now();
    const session = await ort.InferenceSession.create(path);
    const ms = performance.now() - start;
    await session.release();
    return { ms, baseRss, maxRss: process.resourceUsage().maxRSS * 1024 };
  }
  const { loadModel, serializeModel } = await import('../src/main/engine/onnx/model-io.js');
  const { discoverVit } = await import('../src/main/engine/vit/discover.js');
  const { planPruning } = await import('../src/main/engine/prune/plan.js');
  const { applyPruningPlan } = await import('../src/main/engine/prune/prune.js');
  const base = process.memoryUsage().rss;
  const start = performance.now();
  t = start;
  const loaded = await loadModel(path);
  const sha = createHash('sha256').update(loaded.bytes).digest('hex');
  lap('load+sha');
  const vit = discoverVit(loaded.model);
  lap('discover');
  const plan = await planPruning(loaded.model, vit, { ratio: 0.5, target: 'all', method: 'l2', modelSha256: sha });
  lap('plan');
  const pruned = applyPruningPlan(loaded.model, plan, { modelSha256: sha, vit });
  lap('surgery');
  const bytes = serializeModel(pruned);
  lap('serialize');
  const ms = performance.now() - start;
  if (bytes.length === 0) throw new Error('empty output');
  return { ms, baseRss: base, maxRss: process.resourceUsage().maxRSS * 1024, phases };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    process.stdout.write(JSON.stringify(await child(args[1] as string, args[2] as string)));
    return;
  }
  const repsAt = args.indexOf('--reps');
  const reps = repsAt >= 0 ? Number(args[repsAt + 1]) : 3;
  const model = resolve(
    args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--reps') ?? 'bench/models/deit-small-random-op17.onnx',
  );
  if (!existsSync(model)) {
    process.stderr.write(`Model ${model} not found: run npx tsx bench/gen-vit.ts first.\n`);
    process.exitCode = 2;
    return;
  }
  const size = statSync(model).size;
  const self = fileURLToPath(import.meta.url);
  const run = (mode: string): ChildResult =>
    JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', self, '--child', mode, model], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      }),
    ) as ChildResult;
  const prune: ChildResult[] = [];
  const ort: ChildResult[] = [];
  for (let i = 0; i < reps; i++) {
    ort.push(run('ort'));
    prune.push(run('prune'));
  }
  const pMs = median(prune.map((r) => r.ms));
  const oMs = median(ort.map((r) => r.ms));
  const peak = Math.max(...prune.map((r) => r.maxRss));
  const above = Math.max(...prune.map((r) => r.maxRss - r.baseRss));
  const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;
  const phases = Object.keys(prune[0]?.phases ?? {}).map(
    (k) => `${k} ${median(prune.map((r) => r.phases?.[k] ?? 0)).toFixed(0)} ms`,
  );
  process.stdout.write(
    [
      `model            ${model} (${mb(size)})`,
      `prune (L2, all, ratio 0.5)   median ${pMs.toFixed(0)} ms over ${reps} runs  [${phases.join(', ')}]`,
      `ORT session create           median ${oMs.toFixed(0)} ms over ${reps} runs`,
      `time ratio prune / session   ${(pMs / oMs).toFixed(2)}x   (goal <= 2x)`,
      `prune peak RSS               ${mb(peak)} = ${(peak / size).toFixed(2)}x model bytes; above baseline ${mb(above)} = ${(above / size).toFixed(2)}x   (goal <= 3x)`,
      `ORT peak RSS                 ${mb(Math.max(...ort.map((r) => r.maxRss)))}`,
      '',
    ].join('\n'),
  );
}

await main();
