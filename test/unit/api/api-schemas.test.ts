import { describe, expect, it } from 'vitest';
import {
  API_METHODS,
  apiRequestSchemas,
  isApiMethod,
  parseApiRequest,
  requireApiMethod,
} from '../../../src/common/api-schemas.js';
import { PqvError } from '../../../src/common/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof PqvError ? e.code : 'not-pqv';
  }
  return undefined;
}

describe('API request schemas', () => {
  it('has a schema for every method of the contract', () => {
    expect(API_METHODS).toEqual(
      expect.arrayContaining(['app.info', 'bench.run', 'eval.run', 'sweep.start', 'report.pdf', 'job.cancel']),
    );
    expect(API_METHODS).toHaveLength(Object.keys(apiRequestSchemas).length);
    expect(isApiMethod('bench.run')).toBe(true);
    expect(isApiMethod('toString')).toBe(false);
  });

  it('accepts a valid bench request and keeps its values', () => {
    const req = parseApiRequest('bench.run', {
      modelPath: '/m.onnx',
      device: 'host',
      backend: 'host',
      runs: 10,
      warmup: 2,
      threads: 1,
      jobId: 'j1',
    });
    expect(req).toEqual({
      modelPath: '/m.onnx',
      device: 'host',
      backend: 'host',
      runs: 10,
      warmup: 2,
      threads: 1,
      jobId: 'j1',
    });
  });

  it('rejects bad arguments with INVALID_ARGUMENT naming the field', () => {
    try {
      parseApiRequest('bench.run', {
        modelPath: '/m.onnx',
        device: 'host',
        backend: 'host',
        runs: 0,
        warmup: 2,
        threads: 1,
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PqvError);
      expect((e as PqvError).code).toBe('INVALID_ARGUMENT');
      expect((e as PqvError).message).toContain('runs');
    }
    expect(
      codeOf(() =>
        parseApiRequest('bench.run', {
          modelPath: '/m.onnx',
          device: 'host',
          backend: 'tpu',
          runs: 1,
          warmup: 0,
          threads: 0,
        }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseApiRequest('model.inspect', { path: '' }))).toBe('INVALID_ARGUMENT');
    // Unknown keys are refused, so a typo does not silently fall back to a default.
    expect(codeOf(() => parseApiRequest('eval.run', { modelPath: '/m', dataDir: '/d', limt: 5 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => parseApiRequest('app.info', { extra: 1 }))).toBe('INVALID_ARGUMENT');
  });

  it('validates sweep configs with the sweep file schema', () => {
    const config = {
      name: 's',
      model: '/m.onnx',
      dataset: '/d',
      variants: [{ prune: { method: 'l2', target: 'all', ratio: 0.3 } }],
      targets: { devices: 'host' },
      bench: { runs: 5, warmup: 1 },
    };
    expect(parseApiRequest('sweep.start', { config }).config.variants).toHaveLength(1);
    const bad = { ...config, variants: [{ prune: { method: 'l2', target: 'all', ratio: 1.5 } }] };
    expect(codeOf(() => parseApiRequest('sweep.start', { config: bad }))).toBe('INVALID_ARGUMENT');
  });

  it('treats a missing body as an empty request', () => {
    expect(parseApiRequest('app.info', undefined)).toEqual({});
    expect(codeOf(() => requireApiMethod('nope.nothing'))).toBe('INVALID_ARGUMENT');
  });
});
