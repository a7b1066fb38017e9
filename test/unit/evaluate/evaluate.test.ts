import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { TensorShapeProto_DimensionSchema } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../../src/common/errors.js';
import { evaluateModel } from '../../../src/main/engine/evaluate/evaluate.js';
import { balancedSubset, loadDataset } from '../../../src/main/engine/evaluate/dataset.js';
import { parseModel, serializeModel } from '../../../src/main/engine/onnx/model-io.js';

const demo = resolve('resources/demo/fmnist-deit-op17.onnx');
const testDir = resolve('resources/demo/data/test');
const tmp = mkdtempSync(join(tmpdir(), 'pqv-eval-'));
const classDirs = readdirSync(testDir).sort();

/** A copy of the demo model (with its preprocessing sidecar) whose batch dimension is fixed to `n`. */
function staticBatchDemo(n: number): string {
  const model = parseModel(new Uint8Array(readFileSync(demo)));
  for (const vi of [model.graph!.input[0]!, model.graph!.output[0]!]) {
    const t = vi.type!.value;
    if (t.case !== 'tensorType') throw new Error('expected a tensor');
    t.value.shape!.dim[0] = create(TensorShapeProto_DimensionSchema, { value: { case: 'dimValue', value: BigInt(n) } });
  }
  const path = join(tmp, `static${n}.onnx`);
  writeFileSync(path, serializeModel(model));
  copyFileSync(demo.replace(/\.onnx$/, '.preprocess.json'), path.replace(/\.onnx$/, '.preprocess.json'));
  return path;
}

describe('evaluateModel on the demo model', () => {
  it('reproduces the demo accuracy on a 500-image balanced subset', async () => {
    const events: number[] = [];
    const r = await evaluateModel(
      { modelPath: demo, dataDir: testDir, limit: 500 },
      { onProgress: (e) => events.push(e.done) },
    );
    expect(r.n).toBe(500);
    expect(r.top1).toBeGreaterThanOrEqual(0.88);
    expect(r.top5).toBeGreaterThanOrEqual(r.top1);
    expect(r.perClass).toHaveLength(10);
    // Balanced subset: 50 per class, so overall top-1 is the mean of the per-class accuracies.
    expect(r.perClass!.reduce((a, b) => a + b, 0) / 10).toBeCloseTo(r.top1, 10);
    expect(events.at(-1)).toBe(500);
  });

  it('gives the same result with a fixed batch dimension (last batch padded) as with a dynamic one', async () => {
    const dynamic = await evaluateModel({ modelPath: demo, dataDir: testDir, limit: 30, batchSize: 7 });
    const fixed = await evaluateModel({ modelPath: staticBatchDemo(4), dataDir: testDir, limit: 30, batchSize: 7 });
    expect(fixed).toEqual(dynamic);
    expect(fixed.n).toBe(30);
  });

  it('handles a model with more outputs than the dataset has classes, and the labels.csv form', async () => {
    // 3 classes × 4 images from the demo test set, once as ImageFolder and once as labels.csv.
    const folder = join(tmp, 'three-classes');
    const csvDir = join(tmp, 'csv');
    mkdirSync(csvDir);
    const rows = ['file,label'];
    for (const name of classDirs.slice(0, 3)) {
      mkdirSync(join(folder, name), { recursive: true });
      for (const f of readdirSync(join(testDir, name)).sort().slice(0, 4)) {
        copyFileSync(join(testDir, name, f), join(folder, name, f));
        copyFileSync(join(testDir, name, f), join(csvDir, `${name}-${f}`));
        rows.push(`${name}-${f},${name}`);
      }
    }
    writeFileSync(join(csvDir, 'labels.csv'), `${rows.join('\n')}\n`);
    const a = await evaluateModel({ modelPath: demo, dataDir: folder });
    const b = await evaluateModel({ modelPath: demo, dataDir: csvDir });
    expect(a.n).toBe(12);
    expect(a.perClass).toHaveLength(3);
    expect(b).toEqual(a);
    expect(a.top1).toBeGreaterThan(0.5);
  });

  it('rejects dataset folders without classes or without images', async () => {
    const flat = join(tmp, 'flat');
    mkdirSync(flat);
    copyFileSync(join(testDir, classDirs[0]!, readdirSync(join(testDir, classDirs[0]!))[0]!), join(flat, 'a.png'));
    await expect(evaluateModel({ modelPath: demo, dataDir: flat })).rejects.toMatchObject({ code: 'DATASET_INVALID' });
    const empty = join(tmp, 'empty');
    mkdirSync(join(empty, 'cat'), { recursive: true });
    mkdirSync(join(empty, 'dog'), { recursive: true });
    await expect(evaluateModel({ modelPath: demo, dataDir: empty })).rejects.toMatchObject({ code: 'DATASET_EMPTY' });
  });

  it('needs preprocessing: a model copy without a sidecar fails with PREPROCESS_MISSING unless flags give it', async () => {
    const bare = join(tmp, 'bare.onnx');
    copyFileSync(demo, bare);
    await expect(evaluateModel({ modelPath: bare, dataDir: testDir, limit: 10 })).rejects.toMatchObject({
      code: 'PREPROCESS_MISSING',
    });
    const r = await evaluateModel({
      modelPath: bare,
      dataDir: testDir,
      limit: 10,
      preprocess: { height: 28, width: 28, channels: 1, mean: [0.286], std: [0.353] },
    });
    expect(r).toEqual(await evaluateModel({ modelPath: demo, dataDir: testDir, limit: 10 }));
  });

  it('stops with CancelledError when aborted', async () => {
    const ac = new AbortController();
    const p = evaluateModel(
      { modelPath: demo, dataDir: testDir, limit: 200, batchSize: 8 },
      {
        signal: ac.signal,
        onProgress: (e) => {
          if (e.done >= 8) ac.abort();
        },
      },
    );
    await expect(p).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('balancedSubset', () => {
  it('is deterministic and class-balanced', async () => {
    const ds = await loadDataset(testDir);
    const a = balancedSubset(ds, 55);
    const b = balancedSubset(await loadDataset(testDir), 55);
    expect(a.map((x) => x.path)).toEqual(b.map((x) => x.path));
    const counts = new Array<number>(10).fill(0);
    for (const it of a) counts[it.label]!++;
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(55);
    expect(new Set(a.map((x) => x.path)).size).toBe(55);
  });
});
