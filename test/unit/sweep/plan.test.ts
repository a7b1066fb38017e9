import { describe, expect, it } from 'vitest';
import type { SweepSpec } from '../../../src/common/types/sweep.js';
import {
  expandPlan,
  planTargets,
  planVariants,
  variantKey,
  variantLabel,
  type SweepDevice,
} from '../../../src/main/engine/sweep/plan.js';

const spec: SweepSpec = {
  name: 't',
  model: 'm.onnx',
  dataset: 'd',
  variants: [
    { prune: { method: 'l2', target: 'all', ratio: 0.3 } },
    { quant: { mode: 'int8-static' } },
    { quant: { mode: 'int8-static', profile: 'cpu' } },
    { prune: { method: 'l2', target: 'all', ratio: 0.3 }, quant: { mode: 'int8-static', profile: 'xnnpack' } },
    { label: 'half', quant: { mode: 'fp16' } },
  ],
  targets: { devices: 'all' },
  bench: { runs: 5, warmup: 1 },
};
const ctx = { modelSha256: 'a'.repeat(64), calibDir: '/calib', calibLimit: 32 };
const phones: SweepDevice[] = [
  { serial: 'P1', state: 'device', backends: ['cpu', 'xnnpack', 'nnapi'] },
  { serial: 'P2', state: 'device', backends: [] },
  { serial: 'P3', state: 'unauthorized', backends: ['cpu'] },
];

describe('sweep plan', () => {
  it('puts the baseline first and collapses identical specs', () => {
    const vs = planVariants(spec, ctx);
    expect(vs.map((v) => v.label)).toEqual([
      'baseline',
      'l2-all-30',
      'int8-static',
      'l2-all-30+int8-static-xnnpack',
      'half',
    ]);
    expect(vs[0]?.isBaseline).toBe(true);
    expect(new Set(vs.map((v) => v.key)).size).toBe(5);
  });

  it('labels variants from their spec', () => {
    expect(variantLabel({})).toBe('baseline');
    expect(variantLabel({ prune: { method: 'taylor', target: 'heads', ratio: 0.125 } })).toBe('taylor-heads-12_5');
    expect(variantLabel({ quant: { mode: 'int8-dynamic', profile: 'nnapi' } })).toBe('int8-dynamic-nnapi');
  });

  it('hashes calibration only into variants that use it', () => {
    const other = { ...ctx, calibDir: '/other' };
    const fp16 = { quant: { mode: 'fp16' as const } };
    const st = { quant: { mode: 'int8-static' as const } };
    expect(variantKey(fp16, ctx)).toBe(variantKey(fp16, other));
    expect(variantKey(st, ctx)).not.toBe(variantKey(st, other));
    expect(variantKey(fp16, ctx)).not.toBe(variantKey(fp16, { ...ctx, modelSha256: 'b'.repeat(64) }));
  });

  it('targets host plus each ready phone on the backends its runner supports', () => {
    const t = planTargets(spec, phones);
    expect(t).toEqual([
      { device: 'host', backend: 'host' },
      { device: 'P1', backend: 'cpu' },
      { device: 'P1', backend: 'xnnpack' },
      { device: 'P1', backend: 'nnapi' },
      { device: 'P2', backend: 'cpu' },
      { device: 'P2', backend: 'xnnpack' },
    ]);
    expect(planTargets({ ...spec, targets: { devices: 'host' } }, phones)).toEqual([
      { device: 'host', backend: 'host' },
    ]);
    expect(planTargets({ ...spec, targets: { devices: ['P1'], backends: ['nnapi', 'gpu'] } }, phones)).toEqual([
      { device: 'P1', backend: 'nnapi' },
    ]);
  });

  it('rejects explicit devices that are missing or not authorized', () => {
    expect(() => planTargets({ ...spec, targets: { devices: ['ZZ'] } }, phones)).toThrow(
      expect.objectContaining({ code: 'DEVICE_NOT_FOUND' }),
    );
    expect(() => planTargets({ ...spec, targets: { devices: ['P3'] } }, phones)).toThrow(
      expect.objectContaining({ code: 'DEVICE_OFFLINE' }),
    );
  });

  it('expands every variant × target', () => {
    const plan = expandPlan(spec, ctx, phones);
    expect(plan.runs).toHaveLength(5 * 6);
    expect(new Set(plan.runs.map((r) => `${r.variantKey}|${r.device}|${r.backend}`)).size).toBe(30);
  });
});

describe('recovery after pruning', () => {
  const pruned = { method: 'l2', target: 'all', ratio: 0.3 } as const;
  it('names the recovery in the label and makes it part of the variant identity', () => {
    expect(variantLabel({ prune: { ...pruned, recover: 'reconstruct' } })).toBe('l2-all-30-rec');
    expect(variantLabel({ prune: { ...pruned, recover: 'both' }, quant: { mode: 'int8-static' } })).toBe(
      'l2-all-30-both+int8-static',
    );
    const plain = variantKey({ prune: pruned }, ctx);
    const recovered = variantKey({ prune: { ...pruned, recover: 'reconstruct' } }, ctx);
    expect(recovered).not.toBe(plain);
    // Recovery reads calibration images, so a different calibration set is a different variant.
    expect(variantKey({ prune: { ...pruned, recover: 'reconstruct' } }, { ...ctx, calibLimit: 64 })).not.toBe(
      recovered,
    );
    expect(variantKey({ prune: pruned }, { ...ctx, calibLimit: 64 })).toBe(plain);
  });
});
