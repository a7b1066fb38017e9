/**
 * onnxruntime-node sessions over in-memory models, and small helpers to run them on float32 batches.
 */
import * as ort from 'onnxruntime-node';
import type { ModelProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { serializeModel } from './model-io.js';

export { ort };

/** Options for creating a session. */
export interface SessionOptions {
  /** Intra-op threads; 0/undefined lets ONNX Runtime decide. */
  threads?: number;
  /** Graph optimisation level. Default `all`. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Where ONNX Runtime writes the optimized model (e.g. `.ort` export). */
  optimizedModelFilePath?: string;
}

function toOrtOptions(o: SessionOptions): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: o.optimization ?? 'all',
    executionProviders: ['cpu'],
  };
  if (o.threads) opts.intraOpNumThreads = o.threads;
  if (o.optimizedModelFilePath) opts.optimizedModelFilePath = o.optimizedModelFilePath;
  return opts;
}

/** Create a session from a model file path or an in-memory model. Coded error when ONNX Runtime rejects it. */
export async function createSession(
  model: string | ModelProto | Uint8Array,
  o: SessionOptions = {},
): Promise<ort.InferenceSession> {
  try {
    if (typeof model === 'string') return await ort.InferenceSession.create(model, toOrtOptions(o));
    const bytes = model instanceof Uint8Array ? model : serializeModel(model);
    return await ort.InferenceSession.create(bytes, toOrtOptions(o));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new PqvError('INFERENCE_FAILED', `ONNX Runtime could not load the model: ${msg}`);
  }
}

/** Run a single-input model on a float32 batch and return the first output as Float32Array. */
export async function runFloat(
  session: ort.InferenceSession,
  data: Float32Array,
  dims: readonly number[],
  outputName?: string,
): Promise<{ data: Float32Array; dims: number[] }> {
  const inputName = session.inputNames[0];
  if (!inputName) throw new PqvError('MODEL_INVALID', 'The model has no input.');
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new PqvError('INFERENCE_FAILED', `Inference failed: ${msg}`);
  }
  const name = outputName ?? session.outputNames[0] ?? '';
  const t = out[name] as ort.Tensor | undefined;
  if (!t) throw new PqvError('INFERENCE_FAILED', `The model produced no output named ${name}.`);
  const d = t.data;
  const f = d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number>);
  return { data: f, dims: [...t.dims] };
}
