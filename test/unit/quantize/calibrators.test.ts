/**
 * Range estimators on synthetic data: MinMax exact, Percentile on a known distribution, Entropy clipping a
 * heavy tail, the adaptive histogram's exact bin merging, and the in-graph reductions (min/max, top-k of |x|)
 * against whole-tensor statistics.
 */
import { describe, expect, it } from 'vitest';
import { createSession, ort } from '../../../src/main/engine/onnx/session.js';
import {
  TensorStats,
  entropyThreshold,
  percentileFromTail,
  percentileThreshold,
  rangeOf,
  tailSize,
} from '../../../src/main/engine/quantize/calibrators.js';
import {
  calibrationModel,
  collectStats,
  normalGenerator,
  randomSource,
} from '../../../src/main/engine/quantize/calibration.js';
import { probeTensorTypes } from '../../../src/main/engine/quantize/model-utils.js';
import { profileOf } from '../../../src/main/engine/quantize/profiles.js';
import { staticConfigFor } from '../../../src/main/engine/quantize/quantize.js';
import { planStatic, planTensors } from '../../../src/main/engine/quantize/static-qdq.js';
import { loadFixture } from './helpers.js';

describe('TensorStats', () => {
  it('MinMax is the exact observed range over several batches', () => {
    const s = new TensorStats();
    s.add([0.5, -1.25, 3]);
    s.add([7.75, -0.5]);
    s.add([-2, 1]);
    expect(rangeOf(s, 'minmax')).toEqual({ min: -2, max: 7.75 });
  });

  it('keeps every count when the histogram range grows (bins merge exactly)', () => {
    const s = new TensorStats(16);
    s.add(Array.from({ length: 100 }, (_, i) => i / 100)); // top = 0.99
    const before = s.counts.reduce((a, b) => a + b, 0);
    s.add([3.5, -3.9]); // needs top ≥ 3.9 → ×4
    expect(s.top).toBeCloseTo(0.99 * 4, 6);
    expect(s.counts.reduce((a, b) => a + b, 0)).toBe(before + 2);
    // values < 0.99 now fall in the first 4 of 16 bins
    expect(s.counts.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('round-trips through its JSON form', () => {
    const s = new TensorStats(32);
    s.add([1, 2, -3, 0.25]);
    const t = TensorStats.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    expect(rangeOf(t, 'percentile', { percentile: 50 })).toEqual(rangeOf(s, 'percentile', { percentile: 50 }));
    expect(Array.from(t.counts)).toEqual(Array.from(s.counts));
  });
});

describe('percentile', () => {
  it('finds the quantile of a uniform distribution within one bin', () => {
    const s = new TensorStats(2048);
    s.add(Array.from({ length: 100_000 }, (_, i) => (i + 0.5) / 100_000)); // U(0, 1)
    const width = s.top / 2048;
    expect(Math.abs(percentileThreshold(s.counts, s.top, 99) - 0.99)).toBeLessThanOrEqual(width);
    expect(Math.abs(percentileThreshold(s.counts, s.top, 50) - 0.5)).toBeLessThanOrEqual(width);
  });

  it('matches the |N(0,1)| 99 % quantile (2.576) on normal samples', () => {
    const g = normalGenerator(7);
    const s = new TensorStats(2048);
    s.add(Array.from({ length: 200_000 }, g));
    const r = rangeOf(s, 'percentile', { percentile: 99 });
    expect(r.max).toBeGreaterThan(2.5);
    expect(r.max).toBeLessThan(2.65);
    expect(r.min).toBeCloseTo(-r.max, 10);
  });

  it('keeps min 0 for non-negative tensors', () => {
    const s = new TensorStats();
    s.add(Array.from({ length: 1000 }, (_, i) => i));
    const r = rangeOf(s, 'percentile', { percentile: 99.9 });
    expect(r.min).toBe(0);
    expect(r.max).toBeLessThan(999);
  });
});

describe('entropy (KL divergence)', () => {
  it('clips a heavy tail: threshold well below the max', () => {
    const g = normalGenerator(3);
    const values = Array.from({ length: 50_000 }, g);
    values.push(60, -45, 80); // rare outliers, as in ViT residual streams
    const s = new TensorStats(2048);
    s.add(values);
    const t = entropyThreshold(s.counts, s.top, 128);
    expect(t).toBeLessThan(80 / 4);
    expect(t).toBeGreaterThan(2); // but keeps the bulk of the normal
    const r = rangeOf(s, 'entropy');
    expect(r.max).toBe(t);
    expect(r.min).toBe(-t);
  });

  it('keeps the whole range when there are no outliers to clip', () => {
    const s = new TensorStats(2048);
    s.add(Array.from({ length: 20_000 }, (_, i) => (i % 2000) / 2000)); // uniform, no tail
    const t = entropyThreshold(s.counts, s.top, 128);
    expect(t).toBeGreaterThan(0.9 * s.top);
  });
});

describe('exact percentile from the largest values', () => {
  it('keeps the k largest over batches and reads the percentile from them', () => {
    const s = new TensorStats(16, false);
    const all = Array.from({ length: 1000 }, (_, i) => i + 1); // |x| = 1..1000
    for (let b = 0; b < 4; b++) {
      const batch = all.slice(b * 250, (b + 1) * 250);
      const top = Float32Array.from(batch).sort().reverse().slice(0, tailSize(1000, 99));
      s.addTail(top, 250, tailSize(1000, 99));
    }
    expect(s.tailTotal).toBe(1000);
    expect(tailSize(1000, 99)).toBe(11);
    // at most 1 % (10 values) may exceed the threshold: 991..1000 exceed 990
    expect(percentileFromTail(s.tail, s.tailTotal, 99)).toBe(990);
    expect(percentileFromTail(s.tail, s.tailTotal, 100)).toBe(1000);
  });

  it('in-graph reductions (ReduceMin/Max, Abs+TopK) agree with whole-tensor statistics', async () => {
    const f = await loadFixture('timm-vit-op17');
    const types = await probeTensorTypes(f.model);
    const tensors = planTensors(
      planStatic(f.model, types, staticConfigFor(profileOf('cpu'), { mode: 'int8-static' })),
    ).slice(0, 6);
    const source = randomSource([3, 224, 224], 6, 4, 4); // batches of 4 and 2
    const full = await collectStats(f.model, tensors, source, { kind: 'histogram' });
    const tail = await collectStats(f.model, tensors, source, { kind: 'tail', percentile: 99.9 });
    // exact reference percentile: copy every value out and sort
    const values = new Map<string, number[]>(tensors.map((t) => [t, []]));
    const session = await createSession(calibrationModel(f.model, tensors));
    for await (const b of source.batches()) {
      const out = await session.run({ pixel_values: new ort.Tensor('float32', b.data, b.dims) }, tensors);
      for (const t of tensors) {
        const list = values.get(t) ?? [];
        for (const v of (out[t] as ort.Tensor).data as Float32Array) list.push(Math.abs(v));
      }
    }
    await session.release();
    for (const t of tensors) {
      const a = full.get(t);
      const b = tail.get(t);
      if (!a || !b) throw new Error(`missing ${t}`);
      expect([b.min, b.max]).toEqual([a.min, a.max]);
      const sorted = (values.get(t) ?? []).sort((x, y) => y - x);
      const k = tailSize(sorted.length, 99.9);
      expect(b.tailTotal).toBe(sorted.length);
      expect(rangeOf(b, 'percentile', { percentile: 99.9 }).max).toBe(Math.min(a.max, sorted[k - 1] as number));
    }
  });
});

describe('sampled histogram (entropy default)', () => {
  it('keeps exact min/max and gives entropy thresholds close to the full histogram', async () => {
    const f = await loadFixture('timm-vit-op17');
    const types = await probeTensorTypes(f.model);
    const tensors = planTensors(planStatic(f.model, types, staticConfigFor(profileOf('cpu'), { mode: 'int8-static' })));
    const source = randomSource([3, 224, 224], 8, 6, 4);
    const full = await collectStats(f.model, tensors, source, { kind: 'histogram' });
    const sampled = await collectStats(f.model, tensors, source, { kind: 'sampled-histogram', sampleStep: 7 });
    const ratios: number[] = [];
    for (const t of tensors) {
      const a = full.get(t);
      const b = sampled.get(t);
      if (!a || !b) throw new Error(`missing ${t}`);
      expect([b.min, b.max]).toEqual([a.min, a.max]);
      const total = b.counts.reduce((x, y) => x + y, 0);
      expect(total).toBeGreaterThan(a.counts.reduce((x, y) => x + y, 0) / 8);
      const ra = rangeOf(a, 'entropy');
      const rb = rangeOf(b, 'entropy');
      const span = (r: { min: number; max: number }) => r.max - r.min;
      ratios.push(span(rb) / span(ra));
    }
    ratios.sort((x, y) => x - y);
    expect(ratios[Math.floor(ratios.length / 2)]).toBeGreaterThan(0.9); // median within 10 %
    expect(ratios[Math.floor(ratios.length / 2)]).toBeLessThan(1.1);
  });
});
