/**
 * Importance criteria registry: method name → ElementScoreProvider.
 * Data-driven criteria (taylor, hessian) live in their own modules and are loaded on demand.
 */
import { PqvError } from '../../../../common/errors.js';
import type { ElementScoreProvider, ImportanceMethod } from './element-scores.js';
import { IMPORTANCE_METHODS } from './element-scores.js';
import { l1ElementScores, l2ElementScores, randomElementScores } from './magnitude.js';

const LAZY: Record<'taylor' | 'hessian', { module: string; exportName: string }> = {
  taylor: { module: './taylor.js', exportName: 'taylorElementScores' },
  hessian: { module: './hessian.js', exportName: 'hessianElementScores' },
};

/** The provider of a criterion. Throws IMPORTANCE_UNAVAILABLE when its module is not installed. */
export async function getElementScoreProvider(method: ImportanceMethod): Promise<ElementScoreProvider> {
  if (method === 'l1') return l1ElementScores;
  if (method === 'l2') return l2ElementScores;
  if (method === 'random') return randomElementScores;
  const lazy = (LAZY as Record<string, { module: string; exportName: string } | undefined>)[method];
  if (!lazy) {
    throw new PqvError('INVALID_ARGUMENT', `Unknown importance method "${String(method)}". Use one of: ${IMPORTANCE_METHODS.join(', ')}.`);
  }
  let mod: Record<string, unknown>;
  try {
    const spec = lazy.module;
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    throw new PqvError('IMPORTANCE_UNAVAILABLE', `The ${method} importance criterion is not available in this build. Use l1, l2 or random.`, { method }, { cause: e });
  }
  const fn = mod[lazy.exportName];
  if (typeof fn !== 'function') {
    throw new PqvError('IMPORTANCE_UNAVAILABLE', `The ${method} importance module does not export ${lazy.exportName}. Use l1, l2 or random.`, { method });
  }
  return fn as ElementScoreProvider;
}
