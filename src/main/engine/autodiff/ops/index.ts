/** The table of gradient rules by op type (default ONNX domain). */
import type { GradRule } from '../types.js';
import { convRules } from './conv.js';
import { elementwiseRules } from './elementwise.js';
import { matmulRules } from './matmul.js';
import { normalizationRules } from './normalization.js';
import { shapeRules } from './shape.js';

export const GRAD_RULES: ReadonlyMap<string, GradRule> = new Map(
  Object.entries({ ...elementwiseRules, ...matmulRules, ...normalizationRules, ...shapeRules, ...convRules }),
);
