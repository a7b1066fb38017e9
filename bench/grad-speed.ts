/**
 * Benchmark: time of one backward pass (forward + loss + all weight gradients, batch 32) relative to
 * one forward pass of the same batch, measured side by side in the same process on the demo model.
 *
 * Also prints the cost of per-sample gradients (batch-1 passes, as the Hessian criterion runs them).
 * --baked keeps the weights as initializers (as the importance criteria do) instead of graph inputs.
 *
 *   npx tsx bench/grad-speed.ts [model.onnx] [--batch 32] [--iters 40] [--threads N] [--baked]
 */
import { resolve } from 'node:path';
import { loadModel } from '../src/main/engine/onnx/model-io.js';
import { createSession, ort } from '../src/main/engine/onnx/session.js';
import { GradientSession } from '../src/main/engine/autodiff/gradient-session.js';
import { dataInput, probeDims } from '../src/main/engine/autodiff/shapes.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const modelPath = resolve(args.find((a) => a.endsWith('.onnx')) ?? 'resources/demo/fmnist-deit-op17.onnx');
const batch = flag('--batch', 32);
const iters = flag('--iters', 40);
const threads = flag('--threads', 0);

const { model } = await loadModel(modelPath);
const input = dataInput(model);
const dims = probeDims(input, batch);
const size = dims.reduce((a, d) => a * d, 1);
const data = new Float32Array(size);
let seed = 1;
for (let i = 0; i < size; i++) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  data[i] = seed / 2147483648 - 0.5;
}
const labels = Array.from({ length: dims[0] ?? 1 }, (_, i) => i % 10);

const wrt = (model.graph?.initializer ?? []).filter((t) => t.dataType === 1).map((t) => t.name);
const fwd = await createSession(model, { threads });
const grad = await GradientSession.create(model, {
  wrt,
  loss: { kind: 'cross-entropy' },
  threads,
  weightsAsInputs: !args.includes('--baked'),
});

async function time(fn: () => Promise<unknown>): Promise<number> {
  const s = performance.now();
  await fn();
  return performance.now() - s;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const feeds = { [input.name]: new ort.Tensor('float32', data, dims) };
const forward = (): Promise<unknown> => fwd.run(feeds);
const backward = (): Promise<unknown> => grad.run(data, dims, { labels });
for (let i = 0; i < 3; i++) {
  await forward();
  await backward();
}
// Alternate forward and backward runs so that load from other processes hits both alike.
const f: number[] = [];
const b: number[] = [];
for (let i = 0; i < iters; i++) {
  f.push(await time(forward));
  b.push(await time(backward));
}
// Per-sample gradients (Hessian/Fisher) run batch size 1: compare 32 such passes with one batch of 32.
const per = size / (dims[0] ?? 1);
const one = [1, ...dims.slice(1)];
const single: number[] = [];
for (let k = 0; k < Math.max(3, Math.floor(iters / 10)); k++) {
  single.push(
    await time(async () => {
      for (let i = 0; i < (dims[0] ?? 1); i++)
        await grad.run(data.subarray(i * per, (i + 1) * per), one, { labels: [labels[i] ?? 0] });
    }),
  );
}
const fm = median(f);
const bm = median(b);
console.log(`model ${modelPath}`);
console.log(
  `batch ${dims[0]}, ${wrt.length} differentiated initializers (${args.includes('--baked') ? 'baked in' : 'fed as inputs'}), ${iters} timed runs each, alternating`,
);
console.log(`forward  median ${fm.toFixed(1)} ms`);
console.log(`backward median ${bm.toFixed(1)} ms (forward + loss + gradients)`);
console.log(`ratio backward/forward = ${(bm / fm).toFixed(2)}x (goal <= 3.5x)`);
console.log(
  `per-sample gradients: ${dims[0]} batch-1 passes ${median(single).toFixed(1)} ms = ${(median(single) / bm).toFixed(2)}x one batch-${dims[0]} pass`,
);
await fwd.release();
await grad.release();
