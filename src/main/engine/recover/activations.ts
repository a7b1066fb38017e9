/**
 * Activations and logits of a model on in-memory images: calibration images decoded once, sessions
 * over the part of a model between chosen cut tensors and chosen intermediate outputs, and batched runs.
 */
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema,
  ModelProtoSchema,
  TypeProtoSchema,
  TypeProto_TensorSchema,
  ValueInfoProtoSchema,
  type ModelProto,
  type NodeProto,
  type ValueInfoProto,
} from 'onnx-buf';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { PreprocessConfig } from '../../../common/types/evaluate.js';
import { imageBatches } from '../evaluate/batches.js';
import { balancedSubset, loadDataset } from '../evaluate/dataset.js';
import { imageSize } from '../evaluate/preprocess.js';
import { createSession, ort } from '../onnx/session.js';

/** Decoded, preprocessed images held in memory. */
export interface ImageSet {
  /** All images back to back, each `sampleDims`. */
  data: Float32Array;
  sampleDims: number[];
  labels: number[];
  count: number;
}

/** Decode a deterministic class-balanced subset of `samples` images of an ImageFolder. */
export async function loadImageSet(
  dataDir: string,
  samples: number | undefined,
  cfg: PreprocessConfig,
  signal?: AbortSignal,
): Promise<ImageSet> {
  if (samples !== undefined && (!Number.isInteger(samples) || samples <= 0)) {
    throw new PqvError('INVALID_ARGUMENT', `--samples must be a positive integer (got ${samples}).`);
  }
  const ds = await loadDataset(dataDir);
  const items = balancedSubset(ds, samples);
  const per = imageSize(cfg);
  const data = new Float32Array(items.length * per);
  const labels: number[] = [];
  let sampleDims: number[] = [];
  for await (const b of imageBatches(items, cfg, 64, signal)) {
    data.set(b.data, b.start * per);
    labels.push(...b.labels);
    sampleDims = b.dims.slice(1);
  }
  return { data, sampleDims, labels, count: items.length };
}

/** The fixed batch size of a model's image input, if it declares one. */
export function staticBatch(model: ModelProto): number | undefined {
  const t = model.graph?.input.find((i) => !model.graph?.initializer.some((x) => x.name === i.name))?.type?.value;
  const d = t?.case === 'tensorType' ? t.value.shape?.dim[0]?.value : undefined;
  return d?.case === 'dimValue' && d.value > 0n ? Number(d.value) : undefined;
}

/** The first images of a set, as many as a multiple of `multiple` (for models with a fixed batch size). */
export function truncateSet(set: ImageSet, multiple: number): ImageSet {
  const count = Math.floor(set.count / multiple) * multiple;
  if (count === set.count) return set;
  if (count === 0)
    throw new PqvError(
      'INVALID_ARGUMENT',
      `The model has a fixed batch size of ${multiple}: use at least ${multiple} images.`,
    );
  const per = set.data.length / set.count;
  return {
    data: set.data.subarray(0, count * per),
    sampleDims: set.sampleDims,
    labels: set.labels.slice(0, count),
    count,
  };
}

/** Images `start..start+n` of a set as one batch. */
export function sliceImages(set: ImageSet, start: number, n: number): { data: Float32Array; dims: number[] } {
  const per = set.data.length / set.count;
  const end = Math.min(set.count, start + n);
  return { data: set.data.subarray(start * per, end * per), dims: [end - start, ...set.sampleDims] };
}

/** Gather images by index into one batch. */
export function gatherImages(
  set: ImageSet,
  indices: readonly number[],
): { data: Float32Array; dims: number[]; labels: number[] } {
  const per = set.data.length / set.count;
  const data = new Float32Array(indices.length * per);
  indices.forEach((i, k) => data.set(set.data.subarray(i * per, (i + 1) * per), k * per));
  return { data, dims: [indices.length, ...set.sampleDims], labels: indices.map((i) => set.labels[i] as number) };
}

function floatValue(name: string): ValueInfoProto {
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: 1 }) },
    }),
  });
}

/**
 * A model computing `outputs` of `model`. Tensors named in `cuts` become graph inputs (fed with values
 * computed earlier, e.g. the residual stream entering a block), so only the nodes between the cuts and
 * the outputs run; the image input stays an input when something still needs it. The result shares
 * tensors with `model`: use it read-only (to open a session).
 */
export function subModel(model: ModelProto, cuts: readonly string[], outputs: readonly string[]): ModelProto {
  const g = model.graph;
  if (!g) throw new PqvError('MODEL_INVALID', 'The model has no graph.');
  const producer = new Map<string, number>();
  g.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const inits = new Set(g.initializer.map((t) => t.name));
  const cutSet = new Set(cuts);
  const keep = new Set<number>();
  const used = new Set<string>();
  const seen = new Set<string>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const t = stack.pop() as string;
    if (seen.has(t)) continue;
    seen.add(t);
    if (cutSet.has(t) || inits.has(t)) {
      used.add(t);
      continue;
    }
    const p = producer.get(t);
    if (p === undefined) {
      used.add(t);
      continue;
    }
    if (keep.has(p)) continue;
    keep.add(p);
    for (const i of (g.node[p] as NodeProto).input) if (i) stack.push(i);
  }
  const existing = new Map(g.output.map((o) => [o.name, o]));
  const graph = create(GraphProtoSchema, {
    name: g.name,
    node: g.node.filter((_, i) => keep.has(i)),
    initializer: g.initializer.filter((t) => used.has(t.name) && !cutSet.has(t.name)),
    input: [
      ...g.input.filter((i) => used.has(i.name) && !inits.has(i.name) && !cutSet.has(i.name)),
      ...cuts.filter((c) => used.has(c)).map(floatValue),
    ],
    output: outputs.map((o) => existing.get(o) ?? floatValue(o)),
  });
  return create(ModelProtoSchema, {
    irVersion: model.irVersion,
    opsetImport: model.opsetImport,
    producerName: model.producerName,
    graph,
  });
}

/** A copy of `model` whose outputs are exactly `outputs` (nodes they do not need are removed). */
export function truncatedModel(model: ModelProto, outputs: readonly string[]): ModelProto {
  return subModel(model, [], outputs);
}

/** A float32 batch. */
export interface Batch {
  data: Float32Array;
  dims: number[];
}

/** A session computing `outputs` of `model` from its image input and/or cut tensors. */
export class ActivationRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly outputs: readonly string[],
  ) {}

  static async create(
    model: ModelProto,
    outputs: readonly string[],
    threads?: number,
    cuts: readonly string[] = [],
  ): Promise<ActivationRunner> {
    return new ActivationRunner(await createSession(subModel(model, cuts, outputs), { threads }), outputs);
  }

  /** Inputs the session needs (the image input and/or cut tensors). */
  get inputs(): readonly string[] {
    return this.session.inputNames;
  }

  /**
   * Run one batch. `images` feeds the model's image input; `cuts` feeds cut tensors by name.
   * Returns each requested tensor.
   */
  async run(images: Batch, cuts: ReadonlyMap<string, Batch> = new Map()): Promise<Batch[]> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const b = cuts.get(name) ?? images;
      feeds[name] = new ort.Tensor('float32', b.data, b.dims);
    }
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(feeds);
    } catch (e) {
      throw new PqvError('INFERENCE_FAILED', `Inference failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return this.outputs.map((name) => {
      const t = out[name] as ort.Tensor;
      return { data: t.data as Float32Array, dims: [...t.dims] };
    });
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Logits of `model` (first graph output) on every image of a set, [count, classes]. */
export async function logitsOf(
  model: ModelProto,
  set: ImageSet,
  batchSize: number,
  signal?: AbortSignal,
): Promise<{ data: Float32Array; classes: number }> {
  const name = model.graph?.output[0]?.name;
  if (!name) throw new PqvError('MODEL_INVALID', 'The model has no output.');
  const runner = await ActivationRunner.create(model, [name]);
  try {
    const parts: Float32Array[] = [];
    let classes = 0;
    for (let s = 0; s < set.count; s += batchSize) {
      throwIfAborted(signal);
      const b = sliceImages(set, s, batchSize);
      const [o] = await runner.run(b);
      if (!o || o.dims.length !== 2)
        throw new PqvError('INFERENCE_FAILED', 'Recovery needs a model whose first output is logits [batch, classes].');
      classes = o.dims[1] as number;
      parts.push(Float32Array.from(o.data));
    }
    const data = new Float32Array(set.count * classes);
    let off = 0;
    for (const p of parts) {
      data.set(p, off);
      off += p.length;
    }
    return { data, classes };
  } finally {
    await runner.release();
  }
}
