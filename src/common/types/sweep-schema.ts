/**
 * zod schema of a sweep file and `parseSweepSpec`, which turns any invalid input into a coded
 * `SWEEP_CONFIG_INVALID` error naming the offending field.
 */
import { z } from 'zod';
import { PqvError } from '../errors.js';
import { BACKENDS } from './bench.js';
import {
  PRUNE_METHODS,
  PRUNE_TARGETS,
  QUANT_MODES,
  QUANT_PROFILES,
  RECOVERY_METHODS,
  type SweepSpec,
} from './sweep.js';

const label = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[A-Za-z0-9._+-]+$/, 'use letters, digits and . _ + - only');

export const pruneSpecSchema = z
  .object({
    method: z.enum(PRUNE_METHODS),
    target: z.enum(PRUNE_TARGETS),
    ratio: z.number().gt(0, 'must be above 0').lt(1, 'must be below 1'),
    recover: z.enum(RECOVERY_METHODS).optional(),
  })
  .strict();

export const quantSpecSchema = z
  .object({
    mode: z.enum(QUANT_MODES),
    profile: z.enum(QUANT_PROFILES).optional(),
  })
  .strict();

export const variantSpecSchema = z
  .object({ label: label.optional(), prune: pruneSpecSchema.optional(), quant: quantSpecSchema.optional() })
  .strict();

const deviceName = z.string().min(1).max(200);

export const sweepSpecSchema = z
  .object({
    name: z.string().min(1).max(200),
    model: z.string().min(1).max(4096),
    dataset: z.string().min(1).max(4096),
    calibDataset: z.string().min(1).max(4096).optional(),
    evalLimit: z.number().int().min(1).max(1_000_000).optional(),
    calibLimit: z.number().int().min(1).max(100_000).optional(),
    variants: z.array(variantSpecSchema).max(64),
    targets: z
      .object({
        devices: z.union([z.literal('all'), z.literal('host'), z.array(deviceName).min(1).max(32)]),
        backends: z.union([z.literal('auto'), z.array(z.enum(BACKENDS)).min(1)]).optional(),
      })
      .strict(),
    bench: z
      .object({
        runs: z.number().int().min(1).max(10_000),
        warmup: z.number().int().min(0).max(1_000),
        repeats: z.number().int().min(1).max(20).optional(),
        threads: z.number().int().min(0).max(256).optional(),
      })
      .strict(),
    deviceWaitMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    spec.variants.forEach((v, i) => {
      if (v.label === undefined) return;
      const prev = seen.get(v.label);
      if (prev !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'label'],
          message: `duplicate label (also variants.${prev}.label)`,
        });
      }
      seen.set(v.label, i);
      if (v.label === 'baseline' && (v.prune || v.quant)) {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'label'],
          message: '"baseline" is reserved for the unmodified model',
        });
      }
    });
    spec.variants.forEach((v, i) => {
      if (v.quant?.profile && v.quant.mode === 'fp16') {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'quant', 'profile'],
          message: 'fp16 takes no backend profile',
        });
      }
    });
  });

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(root)' : path.map((p) => String(p)).join('.');
}

/**
 * Validate a parsed sweep file (YAML/JSON value). Throws `SWEEP_CONFIG_INVALID` whose message names the first
 * bad field (e.g. `variants.1.prune.ratio: must be below 1`) and whose details list every issue.
 */
export function parseSweepSpec(value: unknown, source = 'sweep config'): SweepSpec {
  const r = sweepSpecSchema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ field: fieldPath(i.path), message: i.message }));
  const first = issues[0] ?? { field: '(root)', message: 'invalid' };
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new PqvError(
    'SWEEP_CONFIG_INVALID',
    `Invalid ${source}: ${first.field}: ${first.message}${more}. Fix the field and run the sweep again.`,
    { field: first.field, issues },
  );
}
