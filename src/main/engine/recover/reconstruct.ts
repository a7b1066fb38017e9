/**
 * Closed-form layer-wise reconstruction of a pruned ViT (no gradients). Block by block, every selected
 * linear layer of the pruned model gets the ridge-regression weights that make its output match the
 * original model's output of that layer on calibration images:
 *
 *   W', b' = argmin ‖X_p·W' + b' − Y_orig‖² + λ‖W'‖²,   λ = α · mean diag(X_cᵀX_c)
 *
 * X_p is the layer input in the pruned model with all earlier layers already reconstructed (sequential),
 * Y_orig the original layer output at the kept output channels. Statistics are accumulated by ONNX
 * Runtime (gram.ts) and the system is solved by Cholesky in float64 (centred, so the bias is exact
 * and not regularised).
 */
import type { ModelProto } from 'onnx-buf';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { attrFloat, attrInt, uniqueNamer, type GraphProto } from '../onnx/graph.js';
import { makeFloat32Tensor, setFloat32 } from '../onnx/tensor.js';
import { discoverVit } from '../vit/discover.js';
import type { LinearRef, VitMap } from '../vit/types.js';
import { ActivationRunner, sliceImages, staticBatch, type Batch, type ImageSet } from './activations.js';
import { embedChannelMap, initializerTensor, initializerValues, outputChannelMap, weightAt } from './channel-map.js';
import { GramAccumulator, type GramPrecision, type GramStats } from './gram.js';
import { solveRidge, sseOf } from './ridge.js';
import { cloneModel } from '../onnx/model-io.js';

export type LayerRole = 'qkv' | 'q' | 'k' | 'v' | 'proj' | 'fc1' | 'fc2' | 'classifier';

/** Options of `reconstructModel`. */
export interface ReconstructOptions {
  /**
   * Layers to reconstruct: `pruned` = layers whose input width shrank (fc2 after MLP pruning, proj after
   * head/head-dim pruning, qkv/fc1/classifier after embedding pruning); `all` = every linear layer of
   * the blocks and the classifier. Default `all`.
   */
  layers?: 'pruned' | 'all';
  /** Ridge strength relative to the mean diagonal of the centred Gram matrix. Default 1e-3. */
  alpha?: number;
  /** Images per inference batch. Default 50, or the model's fixed batch size. */
  batchSize?: number;
  /** Arithmetic of the per-batch Gram products (summed over batches in float64). Default `float32`. */
  precision?: GramPrecision;
  /** ONNX Runtime intra-op threads (0 = default). */
  threads?: number;
}

/** Result of one layer (errors are relative: ‖XW+b−Y‖² / ‖Y‖² on the calibration images). */
export interface LayerReconstruction {
  layer: string;
  role: LayerRole;
  block?: number;
  inFeatures: number;
  outFeatures: number;
  errorBefore: number;
  errorAfter: number;
  /** Why the layer was left unchanged, if it was. */
  skipped?: string;
}

/** A linear layer of the pruned model, its original counterpart, and its output channels in the original. */
export interface LayerPair {
  role: LayerRole;
  block?: number;
  p: LinearRef;
  o: LinearRef;
  outMap: number[];
}

/** Every linear layer of the blocks (in order) and the classifiers, paired with the original's. */
export function layerPairs(pruned: ModelProto, vp: VitMap, original: ModelProto, vo: VitMap): LayerPair[] {
  const embed = embedChannelMap(
    initializerValues(original, vo.posEmbed),
    vo.posEmbed.dims,
    initializerValues(pruned, vp.posEmbed),
    vp.posEmbed.dims,
  );
  const ident = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const fromEmbed = (p: LinearRef, o: LinearRef): number[] =>
    outputChannelMap(initializerValues(original, o.weight), o, initializerValues(pruned, p.weight), p, embed);
  const toEmbed = (p: LinearRef, o: LinearRef): number[] =>
    p.outFeatures === o.outFeatures ? ident(o.outFeatures) : embed;
  const pairs: LayerPair[] = [];
  vp.blocks.forEach((bp, b) => {
    const bo = vo.blocks[b];
    if (!bo) return;
    const ap = bp.attention;
    const ao = bo.attention;
    if (ap.kind === 'fused' && ap.qkv && ao.qkv)
      pairs.push({ role: 'qkv', block: b, p: ap.qkv, o: ao.qkv, outMap: fromEmbed(ap.qkv, ao.qkv) });
    for (const r of ['q', 'k', 'v'] as const) {
      const lp = ap[r];
      const lo = ao[r];
      if (ap.kind === 'separate' && lp && lo)
        pairs.push({ role: r, block: b, p: lp, o: lo, outMap: fromEmbed(lp, lo) });
    }
    pairs.push({ role: 'proj', block: b, p: ap.proj, o: ao.proj, outMap: toEmbed(ap.proj, ao.proj) });
    pairs.push({ role: 'fc1', block: b, p: bp.mlp.fc1, o: bo.mlp.fc1, outMap: fromEmbed(bp.mlp.fc1, bo.mlp.fc1) });
    pairs.push({ role: 'fc2', block: b, p: bp.mlp.fc2, o: bo.mlp.fc2, outMap: toEmbed(bp.mlp.fc2, bo.mlp.fc2) });
  });
  vp.classifiers.forEach((cp, i) => {
    const co = vo.classifiers[i];
    if (co && cp.outFeatures === co.outFeatures)
      pairs.push({ role: 'classifier', p: cp, o: co, outMap: ident(co.outFeatures) });
  });
  return pairs;
}

/** The data input of a linear layer (X in X·W), or why it cannot be reconstructed. */
function layerInput(model: ModelProto, ref: LinearRef): { input?: string; skip?: string } {
  const node = model.graph?.node[ref.weight.node];
  if (!node) return { skip: 'node not found' };
  if (node.opType === 'MatMul') {
    if (ref.weight.input !== 1) return { skip: 'weight is the left MatMul operand' };
    return { input: node.input[0] };
  }
  if (node.opType === 'Gemm') {
    if (attrInt(node, 'transA', 0) !== 0 || attrFloat(node, 'alpha', 1) !== 1 || attrFloat(node, 'beta', 1) !== 1)
      return { skip: 'Gemm with transA/alpha/beta' };
    if (ref.weight.input !== 1) return { skip: 'weight is not the B operand of Gemm' };
    return { input: node.input[0] };
  }
  return { skip: `unsupported op ${node.opType}` };
}

function sharedInitializer(model: ModelProto, name: string): boolean {
  let uses = 0;
  for (const n of model.graph?.node ?? []) for (const i of n.input) if (i === name) uses++;
  return uses > 1;
}

/**
 * Give a layer its own copy of weight/bias initializers it shares with other nodes (exporters alias
 * identical tensors), so rewriting them changes only this layer.
 */
function ownParams(model: ModelProto, ref: LinearRef, fresh: (base: string) => string): void {
  const g = model.graph;
  if (!g) return;
  for (const pr of [ref.weight, ref.bias]) {
    if (!pr || !sharedInitializer(model, pr.initializer)) continue;
    const node = g.node[pr.node];
    if (!node) continue;
    const src = initializerTensor(model, pr.initializer);
    const name = fresh(`${pr.initializer}_recovered`);
    const copy = makeFloat32Tensor(name, src.dims.map(Number), initializerValues(model, pr.initializer));
    g.initializer.push(copy);
    node.input[pr.input] = name;
    pr.initializer = name;
  }
}

function currentWeights(model: ModelProto, ref: LinearRef): { w: Float64Array; b: Float64Array } {
  const at = weightAt(initializerValues(model, ref.weight), ref);
  const w = new Float64Array(ref.inFeatures * ref.outFeatures);
  for (let i = 0; i < ref.inFeatures; i++)
    for (let o = 0; o < ref.outFeatures; o++) w[i * ref.outFeatures + o] = at(i, o);
  const b = ref.bias ? Float64Array.from(initializerValues(model, ref.bias)) : new Float64Array(ref.outFeatures);
  return { w, b };
}

function writeWeights(model: ModelProto, ref: LinearRef, w: Float64Array, b: Float64Array): void {
  const { inFeatures: n, outFeatures: m } = ref;
  const data = new Float32Array(n * m);
  for (let i = 0; i < n; i++)
    for (let o = 0; o < m; o++) data[ref.layout === 'in-out' ? i * m + o : o * n + i] = w[i * m + o] as number;
  const wt = initializerTensor(model, ref.weight.initializer);
  setFloat32(wt, wt.dims.map(Number), data);
  if (ref.bias) {
    const bt = initializerTensor(model, ref.bias.initializer);
    setFloat32(bt, bt.dims.map(Number), Float32Array.from(b));
  }
}

/** Values of one tensor for every calibration image (batch-major), fed as a cut into later runs. */
interface StreamCache {
  name: string;
  data: Float32Array;
  /** Dims of one image's slice. */
  rest: number[];
}

function cacheBatch(c: StreamCache, count: number, start: number, n: number): Batch {
  const per = c.data.length / count;
  const end = Math.min(count, start + n);
  return { data: c.data.subarray(start * per, end * per), dims: [end - start, ...c.rest] };
}

/** The tensor entering block `b` (or the final norms for b = depth), where runs can start from. */
function cutName(v: VitMap, b: number): string | undefined {
  if (v.normPlacement === 'pre') return b < v.depth ? v.blocks[b]?.norm1.input : v.finalNorms[0]?.input;
  return b > 0 ? v.blocks[b - 1]?.norm2.output : undefined;
}

interface Run {
  model: ModelProto;
  calib: ImageSet;
  batch: number;
  threads?: number;
  signal?: AbortSignal;
}

function feedsOf(r: Run, cache: StreamCache | undefined, s: number): { images: Batch; cuts: Map<string, Batch> } {
  const images = sliceImages(r.calib, s, r.batch);
  return { images, cuts: cache ? new Map([[cache.name, cacheBatch(cache, r.calib.count, s, r.batch)]]) : new Map() };
}

/** Compute `target` for all images, starting from `from` when given. Undefined when not batch-major. */
async function advance(
  r: Run,
  from: StreamCache | undefined,
  target: string | undefined,
): Promise<StreamCache | undefined> {
  if (!target) return undefined;
  if (from?.name === target) return from;
  const runner = await ActivationRunner.create(r.model, [target], r.threads, from ? [from.name] : []);
  try {
    let data: Float32Array | undefined;
    let rest: number[] = [];
    for (let s = 0; s < r.calib.count; s += r.batch) {
      throwIfAborted(r.signal);
      const f = feedsOf(r, from, s);
      const [o] = await runner.run(f.images, f.cuts);
      if (!o || o.dims[0] !== f.images.dims[0]) return undefined;
      rest = o.dims.slice(1);
      data ??= new Float32Array(r.calib.count * (o.data.length / (o.dims[0] as number)));
      data.set(o.data, (data.length / r.calib.count) * s);
    }
    return data ? { name: target, data, rest } : undefined;
  } finally {
    await runner.release();
  }
}

/** Accumulate the statistics of one layer pair over the calibration images. */
async function layerStats(
  p: Run,
  pCache: StreamCache | undefined,
  o: Run,
  oCache: StreamCache | undefined,
  input: string,
  pair: LayerPair,
  precision: GramPrecision,
): Promise<GramStats> {
  const xRun = await ActivationRunner.create(p.model, [input], p.threads, pCache ? [pCache.name] : []);
  const yRun = await ActivationRunner.create(o.model, [pair.o.output], o.threads, oCache ? [oCache.name] : []);
  const acc = await GramAccumulator.create(pair.p.inFeatures, pair.outMap, precision, p.threads);
  try {
    for (let s = 0; s < p.calib.count; s += p.batch) {
      throwIfAborted(p.signal);
      const fp = feedsOf(p, pCache, s);
      const fo = feedsOf(o, oCache, s);
      const [x] = await xRun.run(fp.images, fp.cuts);
      const [y] = await yRun.run(fo.images, fo.cuts);
      if (!x || !y) throw new PqvError('INFERENCE_FAILED', `No activations for layer ${pair.p.name}.`);
      await acc.add(x.data, x.dims, y.data, y.dims);
    }
    return acc.stats;
  } finally {
    await Promise.all([xRun.release(), yRun.release(), acc.release()]);
  }
}

/**
 * Reconstruct the layers of `pruned` (not modified; a reconstructed copy is returned) so they match
 * `original` on the images of `calib`.
 */
export async function reconstructModel(
  pruned: ModelProto,
  original: ModelProto,
  calib: ImageSet,
  options: ReconstructOptions = {},
  op: LongOperationOptions = {},
): Promise<{ model: ModelProto; layers: LayerReconstruction[] }> {
  const alpha = options.alpha ?? 1e-3;
  const model = cloneModel(pruned);
  const vp = discoverVit(model);
  const vo = discoverVit(original);
  if (vp.depth !== vo.depth)
    throw new PqvError(
      'INVALID_ARGUMENT',
      `The pruned model has ${vp.depth} blocks and the teacher ${vo.depth}: pass the model it was pruned from as the teacher.`,
    );
  const pairs = layerPairs(model, vp, original, vo).filter(
    (l) => (options.layers ?? 'all') === 'all' || l.p.inFeatures < l.o.inFeatures,
  );
  const common = {
    calib,
    batch: staticBatch(model) ?? options.batchSize ?? 50,
    threads: options.threads,
    signal: op.signal,
  };
  const p: Run = { ...common, model };
  const o: Run = { ...common, model: original };
  const results: LayerReconstruction[] = [];
  const fresh = uniqueNamer(model.graph as GraphProto);
  let pCache: StreamCache | undefined;
  let oCache: StreamCache | undefined;
  op.onProgress?.({ stage: 'reconstruct', done: 0, total: pairs.length });
  for (let b = 0; b <= vp.depth; b++) {
    const stage = pairs.filter((l) => (l.block ?? vp.depth) === b);
    if (stage.length === 0) continue;
    // Start this stage's runs from the residual stream entering it (the pruned one with all earlier layers reconstructed).
    pCache = await advance(p, pCache, cutName(vp, b));
    oCache = await advance(o, oCache, cutName(vo, b));
    for (const pair of stage) {
      throwIfAborted(op.signal);
      const base = {
        layer: pair.p.name,
        role: pair.role,
        ...(pair.block !== undefined ? { block: pair.block } : {}),
        inFeatures: pair.p.inFeatures,
        outFeatures: pair.p.outFeatures,
      };
      const { input, skip } = layerInput(model, pair.p);
      if (!input || skip) {
        results.push({ ...base, errorBefore: NaN, errorAfter: NaN, skipped: skip ?? 'no input' });
        continue;
      }
      const s = await layerStats(p, pCache, o, oCache, input, pair, options.precision ?? 'float32');
      if (s.rows <= pair.p.inFeatures) {
        // Underdetermined: the fit would follow the calibration images, not the layer.
        results.push({
          ...base,
          errorBefore: NaN,
          errorAfter: NaN,
          skipped: `too few calibration rows (${s.rows} for ${pair.p.inFeatures} inputs); use more images`,
        });
        continue;
      }
      const scale = s.yy > 0 ? s.yy : 1;
      const cur = currentWeights(model, pair.p);
      const errorBefore = sseOf(s, cur.w, cur.b) / scale;
      const sol = solveRidge(s, alpha, pair.p.bias !== undefined);
      const errorAfter = sseOf(s, sol.w, sol.b) / scale;
      const better = errorAfter < errorBefore;
      if (better) {
        ownParams(model, pair.p, fresh);
        writeWeights(model, pair.p, sol.w, sol.b);
      }
      results.push({
        ...base,
        errorBefore,
        errorAfter: better ? errorAfter : errorBefore,
        ...(better ? {} : { skipped: 'no improvement' }),
      });
      op.onProgress?.({ stage: 'reconstruct', done: results.length, total: pairs.length, detail: pair.p.name });
    }
  }
  return { model, layers: results };
}
