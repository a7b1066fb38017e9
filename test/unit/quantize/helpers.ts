/**
 * Shared helpers of the quantization tests: fixtures (ViT exports with reference logits) and model runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelProto } from 'onnx-buf';
import { loadModel } from '../../../src/main/engine/onnx/model-io.js';
import { createSession, runFloat } from '../../../src/main/engine/onnx/session.js';

export const FIXTURE_DIR = join(import.meta.dirname, '../../fixtures/vit-exports');
export const DEMO_MODEL = join(import.meta.dirname, '../../../resources/demo/fmnist-deit-op17.onnx');
export const DEMO_CALIB = join(import.meta.dirname, '../../../resources/demo/data/calib');

export const FIXTURES = [
  'timm-vit-op13',
  'timm-vit-op14',
  'timm-vit-op17',
  'timm-deit-distilled-op17',
  'hf-vit-op13',
  'hf-vit-op17-static',
  'mha-vit-op14',
] as const;

function readF32(path: string): Float32Array {
  return new Float32Array(new Uint8Array(readFileSync(path)).buffer);
}

export interface Fixture {
  name: string;
  model: ModelProto;
  input: Float32Array;
  logits: Float32Array;
}

export async function loadFixture(name: string): Promise<Fixture> {
  const { model } = await loadModel(join(FIXTURE_DIR, `${name}.onnx`));
  return {
    name,
    model,
    input: readF32(join(FIXTURE_DIR, `${name}.input.f32`)),
    logits: readF32(join(FIXTURE_DIR, `${name}.logits.f32`)),
  };
}

/** First output of `model` for one input. */
export async function run(model: ModelProto, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await createSession(model);
  try {
    return (await runFloat(s, input, dims)).data;
  } finally {
    await s.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

export function opCounts(model: ModelProto): Record<string, number> {
  const h: Record<string, number> = {};
  for (const n of model.graph?.node ?? []) h[n.opType] = (h[n.opType] ?? 0) + 1;
  return h;
}
