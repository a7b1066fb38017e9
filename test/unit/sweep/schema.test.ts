import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PqvError } from '../../../src/common/errors.js';
import { parseSweepSpec } from '../../../src/common/types/sweep-schema.js';
import { loadSweepFile } from '../../../src/main/engine/sweep/runner.js';

const valid = {
  name: 'demo',
  model: 'model.onnx',
  dataset: 'data/test',
  variants: [
    { prune: { method: 'l2', target: 'all', ratio: 0.3 } },
    { quant: { mode: 'int8-static', profile: 'xnnpack' } },
  ],
  targets: { devices: 'all' },
  bench: { runs: 10, warmup: 2 },
};

function errorOf(value: unknown): PqvError {
  try {
    parseSweepSpec(value);
  } catch (e) {
    if (e instanceof PqvError) return e;
    throw e;
  }
  throw new Error('expected a validation error');
}

describe('sweep config schema', () => {
  it('accepts a valid config', () => {
    const s = parseSweepSpec(valid);
    expect(s.variants).toHaveLength(2);
    expect(s.targets.devices).toBe('all');
  });

  it('names the offending field of a bad ratio', () => {
    const e = errorOf({ ...valid, variants: [{ prune: { method: 'l2', target: 'all', ratio: 1.5 } }] });
    expect(e.code).toBe('SWEEP_CONFIG_INVALID');
    expect(e.details?.field).toBe('variants.0.prune.ratio');
    expect(e.message).toContain('variants.0.prune.ratio');
  });

  it('rejects unknown methods, backends and keys with their paths', () => {
    expect(
      errorOf({ ...valid, variants: [{ prune: { method: 'l3', target: 'all', ratio: 0.2 } }] }).details?.field,
    ).toBe('variants.0.prune.method');
    expect(errorOf({ ...valid, targets: { devices: 'all', backends: ['cpu', 'tpu'] } }).details?.field).toBe(
      'targets.backends',
    );
    expect(errorOf({ ...valid, bench: { runs: 0, warmup: 1 } }).details?.field).toBe('bench.runs');
    expect(errorOf({ ...valid, extra: 1 }).message).toMatch(/extra|Unrecognized/);
    expect(errorOf({ ...valid, model: undefined }).details?.field).toBe('model');
  });

  it('rejects duplicate labels and a profile on fp16', () => {
    const dup = errorOf({
      ...valid,
      variants: [
        { label: 'a', quant: { mode: 'fp16' } },
        { label: 'a', quant: { mode: 'int8-dynamic' } },
      ],
    });
    expect(dup.details?.field).toBe('variants.1.label');
    const fp = errorOf({ ...valid, variants: [{ quant: { mode: 'fp16', profile: 'gpu' } }] });
    expect(fp.details?.field).toBe('variants.0.quant.profile');
  });

  it('loads YAML files and reports syntax errors as SWEEP_CONFIG_INVALID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqv-sweep-schema-'));
    const good = join(dir, 'sweep.yaml');
    writeFileSync(
      good,
      'name: y\nmodel: m.onnx\ndataset: d\nvariants:\n  - quant: {mode: fp16}\ntargets: {devices: host}\nbench: {runs: 3, warmup: 0}\n',
    );
    const loaded = await loadSweepFile(good);
    expect(loaded.baseDir).toBe(dir);
    expect(loaded.spec.variants[0]?.quant?.mode).toBe('fp16');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: [unclosed\n');
    await expect(loadSweepFile(bad)).rejects.toMatchObject({ code: 'SWEEP_CONFIG_INVALID' });
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ ...valid, targets: { devices: [] } }));
    await expect(loadSweepFile(wrong)).rejects.toMatchObject({
      code: 'SWEEP_CONFIG_INVALID',
      details: { field: 'targets.devices' },
    });
  });
});

describe('recovery in a sweep file', () => {
  it('accepts a known recovery method and names the field of an unknown one', () => {
    const base = {
      name: 'r',
      model: 'm.onnx',
      dataset: 'd',
      targets: { devices: 'host' },
      bench: { runs: 3, warmup: 1 },
    };
    const ok = parseSweepSpec({
      ...base,
      variants: [{ prune: { method: 'l2', target: 'all', ratio: 0.3, recover: 'both' } }],
    });
    expect(ok.variants[0]?.prune?.recover).toBe('both');
    expect(() =>
      parseSweepSpec({
        ...base,
        variants: [{ prune: { method: 'l2', target: 'all', ratio: 0.3, recover: 'retrain' } }],
      }),
    ).toThrow(expect.objectContaining({ code: 'SWEEP_CONFIG_INVALID', message: expect.stringContaining('recover') }));
  });
});
