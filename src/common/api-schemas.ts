/**
 * zod schemas for every API request, so IPC and HTTP validate arguments the same way before the service runs.
 */
import { z } from 'zod';
import { PqvError } from './errors.js';
import { BACKENDS } from './types/bench.js';
import { sweepSpecSchema } from './types/sweep-schema.js';
import { settingsUpdateSchema } from './types/settings-schema.js';
import type { ApiMethod, ApiRequest } from './api.js';

const jobId = z.string().min(1).max(128).optional();
const path = z.string().min(1).max(4096);
const backend = z.enum(BACKENDS);
const empty = z.object({}).strict();
const sweepId = z.string().min(1).max(200);

const reportRequest = z.object({ sweepId: sweepId.optional() }).strict();

/** Request schema per method. The `satisfies` clause keeps it in step with `ApiMethods`. */
export const apiRequestSchemas = {
  'app.info': empty,
  'model.inspect': z.object({ path }).strict(),
  'model.list': empty,
  'devices.list': empty,
  'bench.run': z
    .object({
      jobId,
      modelPath: path,
      device: z.string().min(1).max(200),
      backend,
      runs: z.number().int().min(1).max(10_000),
      warmup: z.number().int().min(0).max(1_000),
      threads: z.number().int().min(0).max(256),
    })
    .strict(),
  'eval.run': z
    .object({ jobId, modelPath: path, dataDir: path, limit: z.number().int().min(1).max(1_000_000).optional() })
    .strict(),
  'results.list': z
    .object({
      kind: z.enum(['bench', 'eval']).optional(),
      sweepId: sweepId.optional(),
      limit: z.number().int().min(1).max(100_000).optional(),
    })
    .strict(),
  'sweep.presets': empty,
  'sweep.start': z.object({ jobId, config: sweepSpecSchema }).strict(),
  'sweep.resume': z.object({ jobId, sweepId }).strict(),
  'sweep.list': empty,
  'sweep.get': z.object({ sweepId }).strict(),
  'sweep.cancel': z.object({ sweepId }).strict(),
  'report.pdf': reportRequest,
  'report.csv': reportRequest,
  'report.json': reportRequest,
  'job.cancel': z.object({ jobId: z.string().min(1).max(128) }).strict(),
  'settings.get': empty,
  'settings.set': settingsUpdateSchema,
  'runners.inspect': z.object({ dir: path.optional() }).strict(),
} satisfies { [M in ApiMethod]: z.ZodType<ApiRequest<M>> };

export const API_METHODS = Object.keys(apiRequestSchemas) as ApiMethod[];

export function isApiMethod(name: string): name is ApiMethod {
  return Object.prototype.hasOwnProperty.call(apiRequestSchemas, name);
}

/** Validate a raw request for `method`; throws `PqvError('INVALID_ARGUMENT')` naming the bad fields. */
export function parseApiRequest<M extends ApiMethod>(method: M, raw: unknown): ApiRequest<M> {
  const schema = apiRequestSchemas[method] as unknown as z.ZodType<ApiRequest<M>>;
  const result = schema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`);
    throw new PqvError(
      'INVALID_ARGUMENT',
      `Invalid arguments for ${method}: ${issues.join('; ')}. Fix them and retry.`,
      {
        issues,
      },
    );
  }
  return result.data;
}

/** Resolve a method name or throw `INVALID_ARGUMENT`. */
export function requireApiMethod(name: string): ApiMethod {
  if (!isApiMethod(name)) throw new PqvError('INVALID_ARGUMENT', `Unknown API method "${name}".`);
  return name;
}
