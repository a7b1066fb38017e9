/**
 * Calibration: batches of model inputs (images with the model's preprocessing, or seeded normal noise),
 * a calibration copy of the model that exposes the tensors to quantize as extra graph outputs, streamed
 * per-tensor statistics, and the ranges cache (JSON) so recalibration is not needed.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ValueInfoProtoSchema, type ModelProto } from 'onnx-buf';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import type { PreprocessConfig } from '../../../common/types/evaluate.js';
import { imageBatches } from '../evaluate/batches.js';
import { balancedSubset, loadDataset } from '../evaluate/dataset.js';
import { serializeModel } from '../onnx/model-io.js';
import { createSession, ort } from '../onnx/session.js';
import { TensorStats, DEFAULT_BINS } from './calibrators.js';
import { cloneModel, runtimeInputs } from './model-utils.js';

/** One batch of model input. */
export interface InputBatch {
  data: Float32Array;
  dims: number[];
}

/** Where calibration inputs come from. */
export interface CalibrationSource {
  /** Identifies the data for the ranges cache (folder + count, or seed + count). */
  id: string;
  /** Number of samples. */
  count: number;
  batches(signal?: AbortSignal): AsyncIterable<InputBatch>;
}

/** Images of a dataset folder (class-balanced subset of `samples`), preprocessed like the model expects. */
export async function datasetSource(dir: string, cfg: PreprocessConfig, samples: number, batchSize = 16): Promise<CalibrationSource> {
  const ds = await loadDataset(dir);
  const items = balancedSubset(ds, samples);
  return {
    id: `dataset:${ds.root}:${items.length}:${JSON.stringify(cfg)}`,
    count: items.length,
    async *batches(signal?: AbortSignal) {
      for await (const b of imageBatches(items, cfg, batchSize, signal)) yield { data: b.data, dims: b.dims };
    },
  };
}

/** Seeded standard-normal inputs of shape [n, ...sampleDims] (for models with random weights or no data). */
export function randomSource(sampleDims: readonly number[], samples: number, seed = 1, batchSize = 8): CalibrationSource {
  const per = sampleDims.reduce((a, d) => a * d, 1);
  return {
    id: `random:${seed}:${samples}:${sampleDims.join('x')}`,
    count: samples,
    async *batches(signal?: AbortSignal) {
      const rand = normalGenerator(seed);
      for (let start = 0; start < samples; start += batchSize) {
        throwIfAborted(signal);
        const n = Math.min(batchSize, samples - start);
        const data = new Float32Array(n * per);
        for (let i = 0; i < data.length; i++) data[i] = rand();
        yield { data, dims: [n, ...sampleDims] };
      }
    },
  };
}

/** Deterministic standard-normal generator (mulberry32 + Box–Muller). */
export function normalGenerator(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    const u = Math.max(uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

/** A calibration copy of `model` with `tensors` added as graph outputs. */
export function calibrationModel(model: ModelProto, tensors: readonly string[]): ModelProto {
  const m = cloneModel(model);
  const g = m.graph;
  if (!g) throw new PqvError('MODEL_INVALID', 'The model has no graph.');
  const existing = new Set(g.output.map((o) => o.name));
  for (const t of tensors) if (!existing.has(t)) g.output.push(create(ValueInfoProtoSchema, { name: t }));
  return m;
}

/** Options of `collectStats`. */
export interface CollectOptions extends LongOperationOptions {
  /** Build |x| histograms (needed by percentile and entropy). Default true. */
  histogram?: boolean;
  bins?: number;
}

/** Run the calibration copy over the source and accumulate statistics of every tensor. */
export async function collectStats(
  model: ModelProto,
  tensors: readonly string[],
  source: CalibrationSource,
  opts: CollectOptions = {},
): Promise<Map<string, TensorStats>> {
  const inputName = runtimeInputs(model)[0]?.name;
  if (!inputName) throw new PqvError('MODEL_INVALID', 'The model has no runtime input to calibrate.');
  const session = await createSession(calibrationModel(model, tensors));
  const stats = new Map<string, TensorStats>(tensors.map((t) => [t, new TensorStats(opts.bins ?? DEFAULT_BINS, opts.histogram ?? true)]));
  let done = 0;
  try {
    for await (const b of source.batches(opts.signal)) {
      throwIfAborted(opts.signal);
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await session.run({ [inputName]: new ort.Tensor('float32', b.data, b.dims) }, [...tensors]);
      } catch (e) {
        throw new PqvError('INFERENCE_FAILED', `Calibration inference failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      for (const t of tensors) {
        const v = out[t] as ort.Tensor | undefined;
        if (v && v.type === 'float32') (stats.get(t) as TensorStats).add(v.data as Float32Array);
      }
      done += b.dims[0] ?? 1;
      opts.onProgress?.({ stage: 'calibrate', done, total: source.count });
    }
  } finally {
    await session.release();
  }
  if (done === 0) throw new PqvError('DATASET_EMPTY', 'The calibration data holds no samples. Point --calib at a folder with images.');
  return stats;
}

// ---- ranges cache ----

interface CacheFile {
  version: 1;
  key: string;
  tensors: Record<string, ReturnType<TensorStats['toJSON']>>;
}

/** Cache key: model bytes, calibration data and the tensor list. */
export function cacheKey(model: ModelProto, source: CalibrationSource, tensors: readonly string[]): string {
  const h = createHash('sha256');
  h.update(serializeModel(model));
  h.update(source.id);
  h.update([...tensors].sort().join('\n'));
  return h.digest('hex');
}

/** Read cached statistics when the file exists and its key matches; undefined otherwise. */
export async function readRangesCache(path: string, key: string): Promise<Map<string, TensorStats> | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let parsed: CacheFile;
  try {
    parsed = JSON.parse(text) as CacheFile;
  } catch {
    throw new PqvError('INVALID_ARGUMENT', `${path} is not a valid ranges cache (bad JSON). Delete it to recalibrate.`);
  }
  if (parsed.version !== 1 || parsed.key !== key) return undefined;
  return new Map(Object.entries(parsed.tensors).map(([k, v]) => [k, TensorStats.fromJSON(v)]));
}

export async function writeRangesCache(path: string, key: string, stats: ReadonlyMap<string, TensorStats>): Promise<void> {
  const file: CacheFile = { version: 1, key, tensors: Object.fromEntries([...stats].map(([k, v]) => [k, v.toJSON()])) };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(file));
}
