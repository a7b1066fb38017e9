/**
 * First-order Taylor importance: per element |w · ḡ|, where ḡ is the gradient of the cross-entropy
 * averaged over the calibration images (Torch-Pruning's TaylorImportance: gradients accumulated over
 * batches, then |w·g|). We average instead of summing batch gradients so that the scale does not
 * depend on the number of batches; rankings are identical. Dependency groups reduce these element
 * scores exactly as for magnitude.
 */
import { PqvError, throwIfAborted } from '../../../../common/errors.js';
import { differentiable, meanGradient, openCalibration, zeroScores } from '../../autodiff/calibration.js';
import { readNumbers } from '../../onnx/tensor.js';
import type { ElementScoreProvider, ElementScores } from './element-scores.js';

export const taylorElementScores: ElementScoreProvider = async (req) => {
  if (!req.calibration) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      'Taylor importance needs calibration images: pass --data DIR (an ImageFolder).',
    );
  }
  throwIfAborted(req.signal);
  const wrt = differentiable(req.model, req.initializers);
  const { session, batches, total } = await openCalibration(
    { ...req.calibration, model: req.model, modelPath: req.modelPath, signal: req.signal, onProgress: req.onProgress },
    wrt,
  );
  try {
    const grads = await meanGradient(session, batches, total, { signal: req.signal, onProgress: req.onProgress });
    const out: ElementScores = zeroScores(req.model, req.initializers);
    const inits = new Map((req.model.graph?.initializer ?? []).map((t) => [t.name, t]));
    for (const [name, g] of grads) {
      const w = readNumbers(inits.get(name) as NonNullable<ReturnType<typeof inits.get>>);
      const s = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) s[i] = Math.abs((w[i] as number) * (g[i] as number));
      out.set(name, s);
    }
    return out;
  } finally {
    await session.release();
  }
};
