import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { create } from '@bufbuild/protobuf';
import { ValueInfoProtoSchema } from 'onnx-buf';
import { loadModel, serializeModel } from '../../src/main/engine/onnx/model-io.js';
import { dimsOf, readFloat32 } from '../../src/main/engine/onnx/tensor.js';
import { discoverVit } from '../../src/main/engine/vit/discover.js';
import { embedGroup } from '../../src/main/engine/prune/groups.js';
import { axisSums } from '../../src/main/engine/prune/importance/reduce.js';
import { resolvePreprocess } from '../../src/main/engine/evaluate/preprocess.js';
import { loadDataset, balancedSubset } from '../../src/main/engine/evaluate/dataset.js';
import { imageBatches } from '../../src/main/engine/evaluate/batches.js';
import { writeFileSync } from 'node:fs';

const modelPath = resolve('resources/demo/fmnist-deit-op17.onnx');
const { model } = await loadModel(modelPath);
const vit = discoverVit(model);
const pre = await resolvePreprocess(modelPath, model);
const g = embedGroup(vit);
const C = vit.dim;
// activation stats of residual stream at norm inputs
const names = [...vit.blocks.flatMap((b) => [b.norm1.input, b.norm2.input]), ...vit.finalNorms.map((n) => n.input)];
const m2 = structuredClone(model);
for (const n of names) m2.graph!.output.push(create(ValueInfoProtoSchema, { name: n }));
const sess = await ort.InferenceSession.create(serializeModel(m2), { logSeverityLevel: 3, intraOpNumThreads: 1 });
const ds = await loadDataset(resolve('resources/demo/data/calib'));
const items = balancedSubset(ds, 64);
const absSum = names.map(() => new Float64Array(C));
let count = 0;
for await (const b of imageBatches(items, pre, 32)) {
  const out = await sess.run({ [sess.inputNames[0]!]: new ort.Tensor('float32', b.data, b.dims) });
  names.forEach((n, k) => {
    const d = out[n]!.data as Float32Array;
    for (let i = 0; i < d.length; i++) absSum[k]![i % C] += Math.abs(d[i]!);
  });
  count += out[names[0]!]!.data.length / C;
}
const act = names.map((_, k) => Array.from(absSum[k]!, (x) => x / count));
const actMean = Array.from({ length: C }, (_, c) => act.reduce((a, r) => a + r[c]!, 0) / act.length);
writeFileSync('bench/_tmp/act.json', JSON.stringify({ names, act, actMean }));
// classify slices
const dims = new Map((model.graph!.initializer).map((t) => [t.name, dimsOf(t)]));
for (const p of [1, 2] as const) {
  const scores = new Map<string, Float32Array>();
  for (const t of model.graph!.initializer) {
    const w = readFloat32(t);
    scores.set(t.name, w.map((x) => (p === 1 ? Math.abs(x) : x * x)));
  }
  const sums = axisSums([g], scores, dims);
  const per = g.slices.filter((s) => s.role === 'weight').map((s) => ({ init: s.initializer, axis: s.axis, v: Array.from({ length: C }, (_, c) => sums.get(`${s.initializer}@${s.axis}`)![c]!) }));
  writeFileSync(`bench/_tmp/slices-l${p}.json`, JSON.stringify(per));
}
console.log('slices', g.slices.filter((s) => s.role === 'weight').map((s) => `${s.initializer}@${s.axis}`).join('\n'));
