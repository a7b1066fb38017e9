/**
 * Which channels of the original model each channel of a pruned model is. Structured pruning copies
 * sub-tensors, so kept channels are found by matching values: the residual-stream (embedding) channels
 * by the columns of the position embedding, a layer's output channels by its weight columns restricted
 * to the known input channels. Exact matches are taken first; anything left (a model changed after
 * pruning) goes to the nearest unused original channel.
 */
import type { ModelProto, TensorProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { readFloat32 } from '../onnx/tensor.js';
import type { LinearRef, ParamRef } from '../vit/types.js';

/** Float32 values of an initializer. */
export function initializerValues(model: ModelProto, ref: ParamRef | string): Float32Array {
  const name = typeof ref === 'string' ? ref : ref.initializer;
  const t = model.graph?.initializer.find((x) => x.name === name);
  if (!t) throw new PqvError('MODEL_INVALID', `Initializer ${name} is missing.`);
  return readFloat32(t);
}

/** The initializer tensor itself (for in-place updates). */
export function initializerTensor(model: ModelProto, name: string): TensorProto {
  const t = model.graph?.initializer.find((x) => x.name === name);
  if (!t) throw new PqvError('MODEL_INVALID', `Initializer ${name} is missing.`);
  return t;
}

/** Weight of a linear layer as [in][out] accessor. */
export function weightAt(w: Float32Array, ref: LinearRef): (i: number, o: number) => number {
  const { inFeatures: inF, outFeatures: outF } = ref;
  return ref.layout === 'in-out' ? (i, o) => w[i * outF + o] as number : (i, o) => w[o * inF + i] as number;
}

function key(v: Float32Array): string {
  return Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length)).join(',');
}

/**
 * Map every pruned vector to the index of the original vector it was copied from.
 * @param orig original vectors; @param pruned pruned vectors (same length each).
 */
export function matchVectors(orig: Float32Array[], pruned: Float32Array[]): number[] {
  const byKey = new Map<string, number[]>();
  orig.forEach((v, k) => {
    const kk = key(v);
    const l = byKey.get(kk);
    if (l) l.push(k);
    else byKey.set(kk, [k]);
  });
  const used = new Set<number>();
  const map = pruned.map((v) => {
    const l = byKey.get(key(v));
    const k = l?.find((x) => !used.has(x));
    if (k === undefined) return -1;
    used.add(k);
    return k;
  });
  map.forEach((k, j) => {
    if (k >= 0) return;
    const v = pruned[j] as Float32Array;
    let best = -1;
    let bestD = Infinity;
    orig.forEach((o, c) => {
      if (used.has(c)) return;
      let d = 0;
      for (let i = 0; i < v.length; i++) {
        const e = (v[i] as number) - (o[i] as number);
        d += e * e;
      }
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    });
    if (best < 0)
      throw new PqvError(
        'INVALID_ARGUMENT',
        'The pruned model has more channels than the teacher: pass the model it was pruned from as the teacher.',
      );
    used.add(best);
    map[j] = best;
  });
  return map;
}

/** Residual-stream channels kept by embedding pruning, from the position-embedding columns [1, T, D]. */
export function embedChannelMap(
  orig: Float32Array,
  origDims: number[],
  pruned: Float32Array,
  prunedDims: number[],
): number[] {
  const d = origDims[origDims.length - 1] as number;
  const dp = prunedDims[prunedDims.length - 1] as number;
  if (d === dp) return Array.from({ length: d }, (_, i) => i);
  const t = orig.length / d;
  if (pruned.length / dp !== t)
    throw new PqvError(
      'INVALID_ARGUMENT',
      'The pruned model has another sequence length than the teacher: pass the model it was pruned from as the teacher.',
    );
  const col = (a: Float32Array, w: number, c: number): Float32Array =>
    Float32Array.from({ length: t }, (_, r) => a[r * w + c] as number);
  return matchVectors(
    Array.from({ length: d }, (_, c) => col(orig, d, c)),
    Array.from({ length: dp }, (_, c) => col(pruned, dp, c)),
  );
}

/** Output channels of a pruned linear layer, given which original input channel each pruned input is. */
export function outputChannelMap(
  origW: Float32Array,
  orig: LinearRef,
  prunedW: Float32Array,
  pruned: LinearRef,
  inMap: readonly number[],
): number[] {
  if (orig.outFeatures === pruned.outFeatures) return Array.from({ length: orig.outFeatures }, (_, i) => i);
  if (inMap.length !== pruned.inFeatures)
    throw new Error(`outputChannelMap: ${inMap.length} input channels for ${pruned.inFeatures}`);
  const wo = weightAt(origW, orig);
  const wp = weightAt(prunedW, pruned);
  const origCols = Array.from({ length: orig.outFeatures }, (_, o) => Float32Array.from(inMap, (i) => wo(i, o)));
  const prunedCols = Array.from({ length: pruned.outFeatures }, (_, o) =>
    Float32Array.from({ length: pruned.inFeatures }, (_, i) => wp(i, o)),
  );
  return matchVectors(origCols, prunedCols);
}
