/**
 * One ONNX Runtime session over a backward model: feed a batch, its target (labels, teacher logits
 * or a seed) and the current weights; get the loss, the logits and the gradients.
 *
 * Weights default to the model's initializer values; `setWeights` replaces some of them (fine-tuning
 * updates them between steps without rebuilding the session).
 */
import type { ModelProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import { createSession, ort } from '../onnx/session.js';
import { DataType, readFloat32, readNumbers } from '../onnx/tensor.js';
import { buildBackward, type BackwardModel, type BackwardOptions } from './backward.js';

export type FloatArray = Float32Array | Float64Array;

/** What the loss compares the output with. */
export type GradientTarget = { labels: readonly number[] } | { teacherLogits: FloatArray } | { seed: FloatArray };

export interface GradientResult {
  loss: number;
  logits: FloatArray;
  logitsDims: number[];
  /** Initializer name → gradient (same layout as the initializer). */
  grads: Map<string, FloatArray>;
}

export interface GradientSessionOptions extends BackwardOptions {
  /** Intra-op threads of the session (0 = ONNX Runtime default). */
  threads?: number;
}

function ortType(a: FloatArray): 'float32' | 'float64' {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

export class GradientSession {
  private readonly weights = new Map<string, ort.Tensor>();

  private constructor(
    readonly backward: BackwardModel,
    private readonly session: ort.InferenceSession,
  ) {}

  /** Build the backward model of `forward` and open a session on it. */
  static async create(forward: ModelProto, opts: GradientSessionOptions): Promise<GradientSession> {
    const backward = await buildBackward(forward, opts);
    const session = await createSession(backward.model, { threads: opts.threads });
    const gs = new GradientSession(backward, session);
    const inits = new Map((forward.graph?.initializer ?? []).map((t) => [t.name, t]));
    for (const w of backward.weightInputs) {
      const t = inits.get(w);
      if (!t) continue;
      const dims = t.dims.map(Number);
      const data = t.dataType === DataType.DOUBLE ? Float64Array.from(readNumbers(t)) : readFloat32(t);
      gs.weights.set(w, new ort.Tensor(ortType(data), data, dims));
    }
    return gs;
  }

  /** Replace the values of some weight inputs (same shapes). */
  setWeights(values: ReadonlyMap<string, FloatArray>): void {
    for (const [name, data] of values) {
      const cur = this.weights.get(name);
      if (!cur) throw new PqvError('INVALID_ARGUMENT', `${name} is not a weight input of this gradient session.`);
      if (cur.size !== data.length)
        throw new PqvError('INVALID_ARGUMENT', `${name}: expected ${cur.size} values, got ${data.length}.`);
      this.weights.set(name, new ort.Tensor(ortType(data), data, cur.dims));
    }
  }

  /** Current value of a weight input. */
  weight(name: string): FloatArray | undefined {
    return this.weights.get(name)?.data as FloatArray | undefined;
  }

  /** One forward + backward pass on a batch. */
  async run(data: FloatArray, dims: readonly number[], target: GradientTarget): Promise<GradientResult> {
    const b = this.backward;
    const feeds: Record<string, ort.Tensor> = { [b.dataInput]: new ort.Tensor(ortType(data), data, dims) };
    const n = dims[0] ?? 1;
    if ('labels' in target) {
      if (target.labels.length !== n)
        throw new PqvError('INVALID_ARGUMENT', `Got ${target.labels.length} labels for a batch of ${n}.`);
      const classes = b.outputDims[1] ?? 0;
      const bad = target.labels.find((l) => !Number.isInteger(l) || l < 0 || l >= classes);
      if (bad !== undefined) {
        throw new PqvError(
          'DATASET_INVALID',
          `Label ${bad} is outside the model's ${classes} classes. Check that the dataset's class folders match the model's classes.`,
        );
      }
      feeds[b.targetInput] = new ort.Tensor(
        'int64',
        BigInt64Array.from(target.labels, (l) => BigInt(l)),
        [n],
      );
    } else {
      const t = 'teacherLogits' in target ? target.teacherLogits : target.seed;
      feeds[b.targetInput] = new ort.Tensor(ortType(t), t, this.targetDims(t.length, n));
    }
    for (const [name, t] of this.weights) feeds[name] = t;
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await this.session.run(feeds);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new PqvError('INFERENCE_FAILED', `Gradient computation failed: ${msg}`);
    }
    const lossT = out[b.lossOutput] as ort.Tensor;
    const logitsT = out[b.logitsOutput] as ort.Tensor;
    const grads = new Map<string, FloatArray>();
    for (const [w, o] of b.gradOutputs) grads.set(w, (out[o] as ort.Tensor).data as FloatArray);
    return {
      loss: Number((lossT.data as FloatArray)[0]),
      logits: logitsT.data as FloatArray,
      logitsDims: [...logitsT.dims],
      grads,
    };
  }

  /** Dims of a teacher/seed tensor: [n, rest…] where rest comes from the probe of the output. */
  private targetDims(length: number, n: number): number[] {
    return this.backward.targetDims.map((d, i) => (i === 0 && d === undefined ? n : (d ?? length / n)));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
