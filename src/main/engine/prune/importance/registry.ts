/**
 * Importance criteria registry: method name → ElementScoreProvider.
 * Data-driven criteria (taylor, hessian) need calibration images (see element-scores.ts).
 */
import { PqvError } from '../../../../common/errors.js';
import type { ElementScoreProvider, ImportanceMethod } from './element-scores.js';
import { IMPORTANCE_METHODS } from './element-scores.js';
import { l1ElementScores, l2ElementScores, randomElementScores } from './magnitude.js';
import { hessianElementScores } from './hessian.js';
import { taylorElementScores } from './taylor.js';

/** The provider of a criterion. */
export async function getElementScoreProvider(method: ImportanceMethod): Promise<ElementScoreProvider> {
  if (method === 'l1') return l1ElementScores;
  if (method === 'l2') return l2ElementScores;
  if (method === 'random') return randomElementScores;
  if (method === 'taylor') return taylorElementScores;
  if (method === 'hessian') return hessianElementScores;
  throw new PqvError(
    'INVALID_ARGUMENT',
    `Unknown importance method "${String(method)}". Use one of: ${IMPORTANCE_METHODS.join(', ')}.`,
  );
}
