/**
 * Weight-only element scores: magnitude (|w|^p, L1 and L2) and seeded random.
 */
import { throwIfAborted } from '../../../../common/errors.js';
import { readFloat32 } from '../../onnx/tensor.js';
import type { TensorProto } from 'onnx-buf';
import type { ElementScoreProvider, ElementScoreRequest, ElementScores } from './element-scores.js';
import { seededRandom } from '../../util/random.js';

/**
 * Element scores computed on first `get` and not retained, so scoring a large model holds one
 * tensor's scores at a time. Iteration lists nothing: read scores with `get(name)`.
 */
export class LazyElementScores extends Map<string, Float32Array> {
  constructor(
    private readonly tensors: ReadonlyMap<string, TensorProto>,
    private readonly compute: (t: TensorProto) => Float32Array,
    private readonly req: ElementScoreRequest,
  ) {
    super();
  }

  override has(name: string): boolean {
    return this.tensors.has(name);
  }

  override get(name: string): Float32Array | undefined {
    throwIfAborted(this.req.signal);
    const t = this.tensors.get(name);
    return t ? this.compute(t) : undefined;
  }
}

function requested(req: ElementScoreRequest): Map<string, TensorProto> {
  const wanted = new Set(req.initializers);
  return new Map((req.model.graph?.initializer ?? []).filter((t) => wanted.has(t.name)).map((t) => [t.name, t]));
}

function magnitude(p: 1 | 2): ElementScoreProvider {
  return async (req) => {
    const tensors = requested(req);
    let done = 0;
    return new LazyElementScores(
      tensors,
      (t) => {
        const w = readFloat32(t);
        for (let i = 0; i < w.length; i++) {
          const x = w[i] as number;
          w[i] = p === 1 ? Math.abs(x) : x * x;
        }
        req.onProgress?.({ stage: 'score', done: ++done, total: tensors.size, detail: t.name });
        return w;
      },
      req,
    );
  };
}

/** Σ|w| per slice (Torch-Pruning MagnitudeImportance p=1). */
export const l1ElementScores: ElementScoreProvider = magnitude(1);
/** Σw² per slice (Torch-Pruning MagnitudeImportance p=2). */
export const l2ElementScores: ElementScoreProvider = magnitude(2);

/** Uniform random scores from `seed` (the baseline criterion). */
export const randomElementScores: ElementScoreProvider = async (req) => {
  const rand = seededRandom(req.seed ?? 0);
  const out: ElementScores = new Map();
  const wanted = new Set(req.initializers);
  for (const t of req.model.graph?.initializer ?? []) {
    if (!wanted.has(t.name)) continue;
    throwIfAborted(req.signal);
    const n = t.dims.reduce((a, d) => a * Number(d), 1);
    const s = new Float32Array(n);
    for (let i = 0; i < n; i++) s[i] = rand();
    out.set(t.name, s);
  }
  return out;
};
