/**
 * In-memory quantization entry point: applies a backend profile's defaults, runs the chosen mode
 * (fp16, int8-dynamic, int8-static with calibration and optional mixed precision) and checks the result
 * against the backend's constraints.
 */
import type { ModelProto } from 'onnx-buf';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { rangeOf, type TensorStats } from './calibrators.js';
import {
  cacheKey,
  collectStats,
  readRangesCache,
  writeRangesCache,
  type CalibrationSource,
  type InputBatch,
} from './calibration.js';
import { checkBackendConstraints } from './constraints.js';
import { quantizeDynamic } from './dynamic.js';
import { convertToFp16 } from './fp16.js';
import { assertFloatModel } from './guard.js';
import { probeTensorTypes, runtimeInputs, valueDims } from './model-utils.js';
import { profileOf, type BackendProfile } from './profiles.js';
import { buildStatic, layerSensitivity, modelOutputs, pickKeepFloat } from './sensitivity.js';
import { fixBatchDimension } from './shapes.js';
import { planStatic, planTensors, type StaticQuantConfig } from './static-qdq.js';
import { sqnrDb } from './qdq-math.js';
import type { BackendName, CalibrationMethod, LayerSensitivity, QuantMode, QuantType, TensorRange } from './types.js';

/** Options of `quantizeModel`. Unset fields take the backend profile's defaults. */
export interface QuantizeOptions extends LongOperationOptions {
  mode: QuantMode;
  /** Target backend. Default `cpu`. */
  backend?: BackendName;
  activationType?: QuantType;
  weightType?: QuantType;
  /** Per-channel weights. */
  perChannel?: boolean;
  /** Range estimator for int8-static. Default `percentile`. */
  method?: CalibrationMethod;
  /** Percentile for `percentile`. Default 99.999. */
  percentile?: number;
  /** Calibration inputs (required for int8-static; also used to measure output SQNR). */
  calibration?: CalibrationSource;
  /** Layers kept in float: 'auto' (by sensitivity), the k most sensitive, or node names. */
  keepFloat?: 'auto' | number | string[];
  /** Samples used for the sensitivity analysis and the output SQNR. Default 16. */
  checkSamples?: number;
  /** JSON file caching calibration statistics. */
  rangesCache?: string;
  /** fp16: keep float32 graph inputs/outputs. Default true. */
  keepIoTypes?: boolean;
  /** fp16: op types kept in float32. */
  fp16BlockList?: string[];
  /** Fix symbolic input dims (batch → 1). Default: the backend's requirement. */
  staticBatch?: boolean;
  /** Op types quantized by int8-static (default: the backend's list). */
  opTypes?: string[];
  /** Entropy: histogram every value instead of a 1-in-7 strided sample (slower, exact). Default false. */
  exactHistogram?: boolean;
  /** Measure the output SQNR on the check samples when calibration data is given. Default true. */
  check?: boolean;
}

export interface QuantizeOutcome {
  model: ModelProto;
  settings: Record<string, unknown>;
  quantizedNodes: number;
  keptFloat: string[];
  sensitivity?: LayerSensitivity[];
  outputSqnrDb?: number;
  violations: string[];
  timings: Record<string, number>;
}

/** Resolve the effective int8-static configuration for a profile and user overrides. */
export function staticConfigFor(p: BackendProfile, o: QuantizeOptions): StaticQuantConfig {
  const activationType = o.activationType ?? p.defaultActivationType;
  if (!p.activationTypes.includes(activationType)) {
    throw new PqvError(
      'BACKEND_UNSUPPORTED',
      `${p.name} does not take ${activationType} activations; use ${p.activationTypes.join(' or ')}.`,
    );
  }
  const weightType = o.weightType ?? p.defaultWeightType;
  if (!p.weightTypes.includes(weightType)) {
    throw new PqvError(
      'BACKEND_UNSUPPORTED',
      `${p.name} does not take ${weightType} weights; use ${p.weightTypes.join(' or ')}.`,
    );
  }
  const perChannel = o.perChannel ?? p.defaultPerChannel;
  if (perChannel && p.perChannel === 'forbidden') {
    throw new PqvError('BACKEND_UNSUPPORTED', `${p.name} needs per-tensor weights; drop --per-channel.`);
  }
  return {
    opTypes: o.opTypes ?? p.opTypes,
    activationType,
    activationSymmetric: false,
    weightType,
    weightSymmetric: p.weightSymmetric,
    perChannel,
    quantizeOutputs: p.quantizeOutputs,
    constantOperands: p.constantOperands,
    keepFloat: Array.isArray(o.keepFloat) ? o.keepFloat : [],
  };
}

async function firstBatches(source: CalibrationSource, samples: number, signal?: AbortSignal): Promise<InputBatch[]> {
  const out: InputBatch[] = [];
  let n = 0;
  for await (const b of source.batches(signal)) {
    const take = Math.min(b.dims[0] ?? 1, samples - n);
    const per = b.data.length / (b.dims[0] ?? 1);
    out.push({ data: b.data.slice(0, take * per), dims: [take, ...b.dims.slice(1)] });
    n += take;
    if (n >= samples) break;
  }
  return out;
}

/** Op types whose outputs lie in a fixed interval: their observed range is used whatever the method. */
const BOUNDED_OPS = new Set(['Softmax', 'Sigmoid', 'Tanh']);

/**
 * Tensors whose observed min/max is kept as is: normalised model inputs and outputs of bounded ops
 * (Softmax peaks are rare but carry the attention; clipping them costs far more than the resolution gained).
 */
export function boundedTensors(model: ModelProto): Set<string> {
  const out = new Set(runtimeInputs(model).map((i) => i.name));
  for (const n of model.graph?.node ?? []) if (BOUNDED_OPS.has(n.opType)) for (const o of n.output) out.add(o);
  return out;
}

/** One-sample batches (for models whose batch dimension was fixed to 1). */
function splitSamples(batches: readonly InputBatch[]): InputBatch[] {
  return batches.flatMap((b) => {
    const n = b.dims[0] ?? 1;
    const per = b.data.length / n;
    return Array.from({ length: n }, (_, i) => ({
      data: b.data.slice(i * per, (i + 1) * per),
      dims: [1, ...b.dims.slice(1)],
    }));
  });
}

/** A source whose batches fit a model with a fixed batch dimension of 1. */
function fitSource(model: ModelProto, source: CalibrationSource | undefined): CalibrationSource | undefined {
  const first = runtimeInputs(model)[0];
  if (!source || !first || valueDims(first)[0] !== 1) return source;
  return {
    id: source.id,
    count: source.count,
    async *batches(signal?: AbortSignal) {
      for await (const b of source.batches(signal)) yield* splitSamples([b]);
    },
  };
}

/** Quantize an in-memory float32 model. */
export async function quantizeModel(source: ModelProto, options: QuantizeOptions): Promise<QuantizeOutcome> {
  assertFloatModel(source, 'The model');
  const o: QuantizeOptions = { ...options, calibration: fitSource(source, options.calibration) };
  const backend = o.backend ?? 'cpu';
  const p = profileOf(backend);
  if (!p.modes.includes(o.mode)) {
    throw new PqvError(
      'BACKEND_UNSUPPORTED',
      `${backend} cannot run ${o.mode} models; use --mode ${p.modes.join(' or ')} for ${backend}.`,
    );
  }
  const timings: Record<string, number> = {};
  const clock = (k: string, t0: number): void => {
    timings[k] = (timings[k] ?? 0) + (performance.now() - t0) / 1000;
  };
  let model: ModelProto;
  let quantizedNodes = 0;
  let keptFloat: string[] = [];
  let sensitivity: LayerSensitivity[] | undefined;
  const settings: Record<string, unknown> = {};

  if (o.mode === 'fp16') {
    const t0 = performance.now();
    const r = await convertToFp16(source, {
      keepIoTypes: o.keepIoTypes ?? true,
      blockList: o.fp16BlockList,
      keepNodes: Array.isArray(o.keepFloat) ? o.keepFloat : [],
    });
    clock('convert', t0);
    model = r.model;
    quantizedNodes = r.fp16Nodes;
    keptFloat = r.fp32Nodes;
    Object.assign(settings, { keepIoTypes: o.keepIoTypes ?? true });
  } else if (o.mode === 'int8-dynamic') {
    if (p.perChannel === 'forbidden' && o.perChannel)
      throw new PqvError('BACKEND_UNSUPPORTED', `${backend} needs per-tensor weights.`);
    const t0 = performance.now();
    const perChannel = o.perChannel ?? p.defaultPerChannel;
    const r = quantizeDynamic(source, { perChannel, keepFloat: Array.isArray(o.keepFloat) ? o.keepFloat : [] });
    clock('convert', t0);
    model = r.model;
    quantizedNodes = r.quantized.length;
    Object.assign(settings, { weightType: 'int8', perChannel });
  } else {
    if (!o.calibration)
      throw new PqvError(
        'INVALID_ARGUMENT',
        'int8-static needs calibration data: pass --calib DIR (images of the task).',
      );
    const cfg = staticConfigFor(p, o);
    const method = o.method ?? 'percentile';
    const percentile = o.percentile ?? 99.999;
    if (!(percentile > 0 && percentile <= 100))
      throw new PqvError('INVALID_ARGUMENT', `--percentile must be in (0, 100], got ${percentile}.`);
    let t0 = performance.now();
    const types = await probeTensorTypes(source);
    const plan = planStatic(source, types, { ...cfg, keepFloat: [] });
    const tensors = planTensors(plan);
    clock('plan', t0);
    t0 = performance.now();
    // minmax and percentile reduce inside the graph (exact and fast); entropy bins a strided sample
    // (every 7th value, sliced in the graph) with exact min/max, unless `exactHistogram` is set.
    const kind =
      method === 'entropy'
        ? o.exactHistogram
          ? 'histogram'
          : 'sampled-histogram'
        : method === 'percentile'
          ? 'tail'
          : 'minmax';
    const key = o.rangesCache
      ? cacheKey(source, o.calibration, tensors, kind === 'tail' ? `tail:${percentile}` : kind)
      : '';
    let stats: Map<string, TensorStats> | undefined = o.rangesCache
      ? await readRangesCache(o.rangesCache, key)
      : undefined;
    settings.rangesFromCache = !!stats;
    if (!stats) {
      stats = await collectStats(source, tensors, o.calibration, {
        kind,
        percentile,
        signal: o.signal,
        onProgress: o.onProgress,
      });
      if (o.rangesCache) await writeRangesCache(o.rangesCache, key, stats);
    }
    clock('calibrate', t0);
    const wide = cfg.activationType === 'uint16' || cfg.activationType === 'int16';
    const ranges = new Map<string, TensorRange>();
    const bounded = boundedTensors(source);
    for (const [k, s] of stats)
      ranges.set(k, rangeOf(s, bounded.has(k) ? 'minmax' : method, { percentile, levels: wide ? 1 << 15 : 128 }));
    throwIfAborted(o.signal);

    if (o.keepFloat === 'auto' || typeof o.keepFloat === 'number') {
      t0 = performance.now();
      const batches = await firstBatches(o.calibration, o.checkSamples ?? 16, o.signal);
      const reference = await modelOutputs(source, batches);
      const rows = await layerSensitivity(source, types, ranges, cfg, batches, reference, o);
      keptFloat = pickKeepFloat(rows, o.keepFloat);
      sensitivity = rows.map((r) => ({
        node: r.id,
        opType: r.opType,
        sqnrDb: r.sqnrDb,
        keptFloat: keptFloat.includes(r.id),
      }));
      clock('sensitivity', t0);
    } else if (Array.isArray(o.keepFloat)) keptFloat = o.keepFloat;
    t0 = performance.now();
    const built = buildStatic(source, types, ranges, { ...cfg, keepFloat: keptFloat });
    clock('rewrite', t0);
    model = built.model;
    quantizedNodes = built.quantized;
    Object.assign(settings, {
      activationType: cfg.activationType,
      weightType: cfg.weightType,
      perChannel: cfg.perChannel,
      method,
      percentile: method === 'percentile' ? percentile : undefined,
      samples: o.calibration.count,
    });
  }

  const staticBatch = o.staticBatch ?? p.staticShapes;
  if (staticBatch) fixBatchDimension(model, 1);
  settings.staticBatch = staticBatch;

  let outputSqnrDb: number | undefined;
  if (o.calibration && (o.check ?? true)) {
    const t0 = performance.now();
    const batches = await firstBatches(o.calibration, o.checkSamples ?? 16, o.signal);
    const single = staticBatch ? splitSamples(batches) : batches;
    outputSqnrDb = sqnrDb(await modelOutputs(source, single), await modelOutputs(model, single));
    clock('check', t0);
  }
  return {
    model,
    settings,
    quantizedNodes,
    keptFloat,
    sensitivity,
    outputSqnrDb,
    violations: checkBackendConstraints(model, backend),
    timings,
  };
}
