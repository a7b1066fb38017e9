/**
 * Shared test helpers: fixture loading, onnxruntime-node inference, tensor masking.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelProto } from 'onnx-buf';
import { loadModel, serializeModel } from '../../../src/main/engine/onnx/model-io.js';
import { dimsOf, makeFloat32Tensor, readFloat32 } from '../../../src/main/engine/onnx/tensor.js';
import type { ParamRef } from '../../../src/main/engine/vit/types.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/vit-exports');
export const DEMO = join(import.meta.dirname, '../../../resources/demo/fmnist-deit-op17.onnx');

export interface ManifestEntry {
  name: string;
  style: string;
  opset: number;
  dim: number;
  depth: number;
  heads: number;
  mlp: number;
  classes: number;
  params: number;
  distilled?: boolean;
  dynamic?: boolean;
  file: string;
}

export const MANIFEST = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as ManifestEntry[];

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export async function loadFixture(
  name: string,
): Promise<{ model: ModelProto; input: Float32Array; logits: Float32Array }> {
  const { model } = await loadModel(join(FIXTURES, `${name}.onnx`));
  return {
    model,
    input: readF32(join(FIXTURES, `${name}.input.f32`)),
    logits: readF32(join(FIXTURES, `${name}.logits.f32`)),
  };
}

/** Run a model on one float input; returns the first output's data and dims. */
export async function runModel(
  model: ModelProto,
  input: Float32Array,
  shape: number[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(serializeModel(model), { logSeverityLevel: 3 });
  try {
    const out = await session.run({ [session.inputNames[0] as string]: new ort.Tensor('float32', input, shape) });
    const t = out[session.outputNames[0] as string] as ort.Tensor;
    return { data: t.data as Float32Array, dims: t.dims };
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** Batch of `n` copies of one input. */
export function repeatInput(input: Float32Array, n: number): Float32Array {
  const out = new Float32Array(input.length * n);
  for (let i = 0; i < n; i++) out.set(input, i * input.length);
  return out;
}

/**
 * Copy of `model` where the tensor used at `ref` is replaced (for that use only) by a copy with
 * the given indices along `axis` set to zero.
 */
export function maskParam(model: ModelProto, ref: ParamRef, axis: number, zero: number[]): ModelProto {
  const graph = model.graph as NonNullable<ModelProto['graph']>;
  const t = graph.initializer.find((x) => x.name === ref.initializer);
  if (!t) throw new Error(`no initializer ${ref.initializer}`);
  const dims = dimsOf(t);
  const data = readFloat32(t);
  const inner = dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const n = dims[axis] as number;
  const outer = data.length / (inner * n);
  for (let o = 0; o < outer; o++) for (const z of zero) data.fill(0, (o * n + z) * inner, (o * n + z + 1) * inner);
  const name = `${ref.initializer}__masked_${ref.node}_${ref.input}`;
  const nodes = graph.node.map((node, i) =>
    i === ref.node ? { ...node, input: node.input.map((x, j) => (j === ref.input ? name : x)) } : node,
  );
  return {
    ...model,
    graph: { ...graph, node: nodes, initializer: [...graph.initializer, makeFloat32Tensor(name, dims, data)] },
  } as ModelProto;
}
