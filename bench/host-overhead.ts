/**
 * Overhead of `pqv bench` on this computer: the p50 latency reported by `benchOnHost` (child process, IPC,
 * progress) divided by the p50 of a bare in-process onnxruntime-node loop on the same model, same input and
 * same session options. The two are interleaved round by round so background load hits both alike.
 * Goal: ratio ≤ 1.05.
 *
 *   npx tsx bench/host-overhead.ts [MODEL] [--runs N] [--rounds N] [--threads N]
 */
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { BENCH_SEED, benchOnHost } from '../src/main/engine/bench/host-bench.js';
import { buildFeeds } from '../src/main/engine/bench/inputs.js';
import { percentile } from '../src/main/engine/bench/stats.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const positional = process.argv
  .slice(2)
  .filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
const modelPath = resolve(positional[0] ?? 'resources/demo/fmnist-deit-op17.onnx');
const runs = flag('runs', 100);
const rounds = flag('rounds', 12);
const warmup = flag('warmup', 10);
const threads = flag('threads', 0);

async function bareP50(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<number> {
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await session.run(feeds);
    t.push(performance.now() - s);
  }
  return percentile(t, 50);
}

const opts: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' };
if (threads > 0) opts.intraOpNumThreads = threads;
const session = await ort.InferenceSession.create(modelPath, opts);
const metas = session.inputMetadata.map((m) =>
  m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] },
);
const feeds = await buildFeeds(metas, BENCH_SEED);

const pqv: number[] = [];
const bare: number[] = [];
for (let r = 0; r < rounds; r++) {
  // Alternate which side goes first so neither always runs on a warmer machine.
  const order = r % 2 === 0 ? ['pqv', 'bare'] : ['bare', 'pqv'];
  for (const side of order) {
    if (side === 'pqv') pqv.push((await benchOnHost(modelPath, { runs, warmup, threads })).p50Ms);
    else bare.push(await bareP50(session, feeds));
  }
  process.stdout.write(
    `round ${r + 1}/${rounds}: pqv bench p50 ${pqv.at(-1)!.toFixed(3)} ms, bare loop p50 ${bare.at(-1)!.toFixed(3)} ms\n`,
  );
}
await session.release();
const a = percentile(pqv, 50);
const b = percentile(bare, 50);
// Ratio of each side-by-side pair, then the median: robust against load that changes between rounds.
const pairRatio = percentile(
  pqv.map((x, i) => x / (bare[i] as number)),
  50,
);
process.stdout.write(`\nmodel ${modelPath}\nruns ${runs} × ${rounds} rounds, threads ${threads || 'auto'}\n`);
process.stdout.write(
  `median p50: pqv bench ${a.toFixed(3)} ms, bare in-process loop ${b.toFixed(3)} ms (ratio ${(a / b).toFixed(3)})\n`,
);
process.stdout.write(`median of per-round ratios pqv/bare = ${pairRatio.toFixed(3)} (goal ≤ 1.05)\n`);
