/**
 * Calibration: batches of model inputs (images with the model's preprocessing, or seeded normal noise),
 * a calibration copy of the model that exposes the tensors to quantize as extra graph outputs, streamed
 * per-tensor statistics, and the ranges cache (JSON) so recalibration is not needed.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ValueInfoProtoSchema, type ModelProto, type NodeProto } from 'onnx-buf';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import type { PreprocessConfig } from '../../../common/types/evaluate.js';
import { imageBatches } from '../evaluate/batches.js';
import { balancedSubset, loadDataset } from '../evaluate/dataset.js';
import { serializeModel } from '../onnx/model-io.js';
import { createSession, ort } from '../onnx/session.js';
import { TensorStats, DEFAULT_BINS, tailSize, type StatsJson } from './calibrators.js';
import { makeNode, uniqueNamer } from '../onnx/graph.js';
import { DataType, makeFloat32Tensor, makeInt64Tensor } from '../onnx/tensor.js';
import { runtimeInputs, untypedShapeValueInfo } from './model-utils.js';
import { cloneModel } from '../onnx/model-io.js';
import { seededRandom } from '../util/random.js';

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
export async function datasetSource(
  dir: string,
  cfg: PreprocessConfig,
  samples: number,
  batchSize = 16,
): Promise<CalibrationSource> {
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
export function randomSource(
  sampleDims: readonly number[],
  samples: number,
  seed = 1,
  batchSize = 8,
): CalibrationSource {
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
  const uniform = seededRandom(seed);
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
  /**
   * Statistics to gather:
   * - `minmax`: min/max reduced inside the calibration graph (ReduceMin/ReduceMax; only scalars leave ORT);
   * - `tail`: min/max plus the largest |x| values (Abs + TopK in the graph) for an exact `percentile`;
   * - `histogram`: whole tensors copied out and binned (|x| histogram, needed by entropy). Default.
   * - `sampled-histogram`: exact min/max in the graph plus a strided sample (every `sampleStep`-th value of
   *   the flattened tensor, sliced in the graph) for the histogram: ~`sampleStep`× less data leaves ORT.
   */
  kind?: 'minmax' | 'tail' | 'histogram' | 'sampled-histogram';
  /** Stride of `sampled-histogram` (a prime, so the sample does not align with channel dims). Default 7. */
  sampleStep?: number;
  /** Percentile the tail must serve (kind `tail`). Default 99.999. */
  percentile?: number;
  bins?: number;
}

const FRACTION_INPUT = 'pqv_calibration_tail_fraction';

interface ReducedOutputs {
  min: string;
  max: string;
  top?: string;
  size?: string;
  sample?: string;
}

/**
 * Calibration copy computing per-tensor reductions in the graph: min, max and, with `tail`, the k largest
 * |x| where k = min(size, floor(size · f) + 1) and f is fed per batch (so k covers the whole-run tail).
 */
export function reducedCalibrationModel(
  model: ModelProto,
  tensors: readonly string[],
  tail: boolean,
  sampleStep = 0,
): { model: ModelProto; outputs: Map<string, ReducedOutputs> } {
  const m = cloneModel(model);
  const g = m.graph;
  if (!g) throw new PqvError('MODEL_INVALID', 'The model has no graph.');
  const fresh = uniqueNamer(g);
  const outputs = new Map<string, ReducedOutputs>();
  const nodes: NodeProto[] = [];
  const flat = fresh('pqv_calibration_flat_shape');
  const one = fresh('pqv_calibration_one');
  const kShape = fresh('pqv_calibration_k_shape');
  const [sStart, sEnd, sAxis, sStep] = ['start', 'end', 'axis', 'step'].map((x) =>
    fresh(`pqv_calibration_sample_${x}`),
  ) as [string, string, string, string];
  if (tail || sampleStep > 0) g.initializer.push(makeInt64Tensor(flat, [1], [-1]));
  if (tail) {
    g.initializer.push(makeFloat32Tensor(one, [], [1]), makeInt64Tensor(kShape, [1], [1]));
    g.input.push(untypedShapeValueInfo(FRACTION_INPUT, DataType.FLOAT));
  }
  if (sampleStep > 0) {
    g.initializer.push(
      makeInt64Tensor(sStart, [1], [0]),
      makeInt64Tensor(sEnd, [1], [Number.MAX_SAFE_INTEGER]),
      makeInt64Tensor(sAxis, [1], [0]),
      makeInt64Tensor(sStep, [1], [sampleStep]),
    );
  }
  for (const t of tensors) {
    const o: ReducedOutputs = { min: fresh(`${t}_pqv_min`), max: fresh(`${t}_pqv_max`) };
    nodes.push(makeNode('ReduceMin', [t], [o.min], { keepdims: 0 }, fresh(`${t}_pqv_ReduceMin`)));
    nodes.push(makeNode('ReduceMax', [t], [o.max], { keepdims: 0 }, fresh(`${t}_pqv_ReduceMax`)));
    if (tail) {
      const n = (x: string): string => fresh(`${t}_pqv_${x}`);
      const [abs, fl, size, sizeF, kf, kfl, kp1, kmin, k64, k1, idx] = [
        'abs',
        'flat',
        'size',
        'sizef',
        'kf',
        'kfloor',
        'kp1',
        'kmin',
        'k64',
        'k',
        'topk_indices',
      ].map(n) as string[] as [string, string, string, string, string, string, string, string, string, string, string];
      o.top = n('top');
      o.size = size;
      nodes.push(
        makeNode('Abs', [t], [abs], {}, n('Abs')),
        makeNode('Reshape', [abs, flat], [fl], {}, n('Reshape')),
        makeNode('Size', [t], [size], {}, n('Size')),
        makeNode('Cast', [size], [sizeF], { to: DataType.FLOAT }, n('Cast')),
        makeNode('Mul', [sizeF, FRACTION_INPUT], [kf], {}, n('Mul')),
        makeNode('Floor', [kf], [kfl], {}, n('Floor')),
        makeNode('Add', [kfl, one], [kp1], {}, n('Add')),
        makeNode('Min', [kp1, sizeF], [kmin], {}, n('Min')),
        makeNode('Cast', [kmin], [k64], { to: DataType.INT64 }, n('CastK')),
        makeNode('Reshape', [k64, kShape], [k1], {}, n('ReshapeK')),
        makeNode('TopK', [fl, k1], [o.top, idx], { largest: 1, sorted: 1 }, n('TopK')),
      );
    }
    if (sampleStep > 0) {
      const fl = fresh(`${t}_pqv_sample_flat`);
      o.sample = fresh(`${t}_pqv_sample`);
      nodes.push(
        makeNode('Reshape', [t, flat], [fl], {}, fresh(`${t}_pqv_sample_Reshape`)),
        makeNode('Slice', [fl, sStart, sEnd, sAxis, sStep], [o.sample], {}, fresh(`${t}_pqv_sample_Slice`)),
      );
    }
    outputs.set(t, o);
  }
  g.node.push(...nodes);
  g.output = [];
  for (const o of outputs.values())
    for (const x of [o.min, o.max, o.top, o.size, o.sample])
      if (x) g.output.push(create(ValueInfoProtoSchema, { name: x }));
  return { model: m, outputs };
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
  const kind = opts.kind ?? 'histogram';
  const percentile = opts.percentile ?? 99.999;
  const sampleStep = kind === 'sampled-histogram' ? (opts.sampleStep ?? 7) : 0;
  const reduced =
    kind === 'histogram' ? undefined : reducedCalibrationModel(model, tensors, kind === 'tail', sampleStep);
  const session = await createSession(reduced ? reduced.model : calibrationModel(model, tensors));
  const withHistogram = kind === 'histogram' || kind === 'sampled-histogram';
  const stats = new Map<string, TensorStats>(
    tensors.map((t) => [t, new TensorStats(opts.bins ?? DEFAULT_BINS, withHistogram)]),
  );
  let done = 0;
  try {
    for await (const b of source.batches(opts.signal)) {
      throwIfAborted(opts.signal);
      const samples = b.dims[0] ?? 1;
      const feeds: Record<string, ort.Tensor> = { [inputName]: new ort.Tensor('float32', b.data, b.dims) };
      if (kind === 'tail')
        feeds[FRACTION_INPUT] = new ort.Tensor(
          'float32',
          Float32Array.of((source.count / samples) * (1 - percentile / 100)),
          [],
        );
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = reduced ? await session.run(feeds) : await session.run(feeds, [...tensors]);
      } catch (e) {
        throw new PqvError(
          'INFERENCE_FAILED',
          `Calibration inference failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      for (const t of tensors) {
        const st = stats.get(t) as TensorStats;
        const r = reduced?.outputs.get(t);
        if (!r) {
          const v = out[t] as ort.Tensor | undefined;
          if (v && v.type === 'float32') st.add(v.data as Float32Array);
          continue;
        }
        const scalar = (name: string): number =>
          Number(((out[name] as ort.Tensor).data as ArrayLike<number | bigint>)[0]);
        st.addMinMax(scalar(r.min), scalar(r.max));
        if (r.sample) st.addSample((out[r.sample] as ort.Tensor).data as Float32Array);
        if (r.top && r.size) {
          const n = scalar(r.size);
          st.addTail(
            (out[r.top] as ort.Tensor).data as Float32Array,
            n,
            tailSize(Math.round((n / samples) * source.count), percentile),
          );
        }
      }
      done += samples;
      opts.onProgress?.({ stage: 'calibrate', done, total: source.count });
    }
  } finally {
    await session.release();
  }
  if (done === 0)
    throw new PqvError(
      'DATASET_EMPTY',
      'The calibration data holds no samples. Point --calib at a folder with images.',
    );
  return stats;
}

// ---- ranges cache ----

interface CacheFile {
  version: 1;
  key: string;
  tensors: Record<string, StatsJson>;
}

/** Cache key: model bytes, calibration data, the tensor list and the kind of statistics. */
export function cacheKey(model: ModelProto, source: CalibrationSource, tensors: readonly string[], kind = ''): string {
  const h = createHash('sha256');
  h.update(serializeModel(model));
  h.update(source.id);
  h.update(kind);
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

export async function writeRangesCache(
  path: string,
  key: string,
  stats: ReadonlyMap<string, TensorStats>,
): Promise<void> {
  const file: CacheFile = { version: 1, key, tensors: Object.fromEntries([...stats].map(([k, v]) => [k, v.toJSON()])) };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(file));
}
