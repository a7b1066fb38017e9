/**
 * Hessian importance (Optimal Brain Damage with the empirical Fisher diagonal as the Hessian
 * diagonal): per element ½ · w² · F, F = (1/N)·Σ_n (∂ℓ_n/∂w)² over N calibration images.
 *
 * Every sample contributes (one backward pass per sample): the squared gradients are accumulated
 * over all N samples and averaged, not overwritten by the last one.
 */
import { PqvError, throwIfAborted } from '../../../../common/errors.js';
import { differentiable, fisherDiagonal, openCalibration, zeroScores } from '../../autodiff/calibration.js';
import { readNumbers } from '../../onnx/tensor.js';
import type { ElementScoreProvider, ElementScores } from './element-scores.js';

export const hessianElementScores: ElementScoreProvider = async (req) => {
  if (!req.calibration) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      'Hessian importance needs calibration images: pass --data DIR (an ImageFolder).',
    );
  }
  throwIfAborted(req.signal);
  const wrt = differentiable(req.model, req.initializers);
  const { session, batches, total } = await openCalibration(
    {
      ...req.calibration,
      model: req.model,
      modelPath: req.modelPath,
      signal: req.signal,
      onProgress: req.onProgress,
      perSample: true,
    },
    wrt,
  );
  try {
    const fisher = await fisherDiagonal(session, batches, total, { signal: req.signal, onProgress: req.onProgress });
    const out: ElementScores = zeroScores(req.model, req.initializers);
    const inits = new Map((req.model.graph?.initializer ?? []).map((t) => [t.name, t]));
    for (const [name, f] of fisher) {
      const w = readNumbers(inits.get(name) as NonNullable<ReturnType<typeof inits.get>>);
      const s = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) s[i] = 0.5 * (w[i] as number) * (w[i] as number) * (f[i] as number);
      out.set(name, s);
    }
    return out;
  } finally {
    await session.release();
  }
};
