/**
 * Per-layer sensitivity: the gated single-session measurement equals building a model with only that layer
 * quantized, and mixed precision keeps the chosen layers in float.
 */
import { describe, expect, it } from 'vitest';
import { randomSource, type InputBatch } from '../../../src/main/engine/quantize/calibration.js';
import { collectStats } from '../../../src/main/engine/quantize/calibration.js';
import { rangeOf } from '../../../src/main/engine/quantize/calibrators.js';
import { probeTensorTypes } from '../../../src/main/engine/quantize/model-utils.js';
import { profileOf } from '../../../src/main/engine/quantize/profiles.js';
import { quantizeModel, staticConfigFor } from '../../../src/main/engine/quantize/quantize.js';
import { sqnrDb } from '../../../src/main/engine/quantize/qdq-math.js';
import { buildStatic, layerSensitivity, modelOutputs } from '../../../src/main/engine/quantize/sensitivity.js';
import { planStatic, planTensors } from '../../../src/main/engine/quantize/static-qdq.js';
import { loadFixture } from './helpers.js';

describe('layer sensitivity', () => {
  it('gated measurement matches quantizing each layer alone', async () => {
    const f = await loadFixture('timm-vit-op17');
    const types = await probeTensorTypes(f.model);
    const cfg = staticConfigFor(profileOf('cpu'), { mode: 'int8-static' });
    const plan = planStatic(f.model, types, cfg);
    const source = randomSource([3, 224, 224], 4, 5, 4);
    const stats = await collectStats(f.model, planTensors(plan), source, { kind: 'minmax' });
    const ranges = new Map([...stats].map(([k, s]) => [k, rangeOf(s, 'minmax')]));
    const batches: InputBatch[] = [];
    for await (const b of source.batches()) batches.push(b);
    const ref = await modelOutputs(f.model, batches);
    const rows = await layerSensitivity(f.model, types, ranges, cfg, batches, ref);
    expect(rows).toHaveLength(plan.length);
    for (const row of [rows[0], rows[Math.floor(rows.length / 2)], rows[rows.length - 1]]) {
      if (!row) throw new Error('missing row');
      const alone = buildStatic(f.model, types, ranges, cfg, new Set([row.id]));
      expect(alone.quantized).toBe(1);
      const db = sqnrDb(ref, await modelOutputs(alone.model, batches));
      expect(Math.abs(db - row.sqnrDb)).toBeLessThan(0.5);
    }
  });

  it('keepFloat: k keeps the k most sensitive layers float and improves the output SQNR', async () => {
    const f = await loadFixture('mha-vit-op14');
    const calibration = randomSource([3, 224, 224], 4, 9, 4);
    const all = await quantizeModel(f.model, { mode: 'int8-static', calibration, checkSamples: 4 });
    const mixed = await quantizeModel(f.model, { mode: 'int8-static', calibration, keepFloat: 2, checkSamples: 4 });
    expect(mixed.keptFloat).toHaveLength(2);
    expect(mixed.sensitivity?.slice(0, 2).map((s) => s.node)).toEqual(mixed.keptFloat);
    expect(mixed.quantizedNodes).toBe(all.quantizedNodes - 2);
    expect(mixed.outputSqnrDb ?? 0).toBeGreaterThan((all.outputSqnrDb ?? 0) + 3);
    const byName = await quantizeModel(f.model, {
      mode: 'int8-static',
      calibration,
      keepFloat: mixed.keptFloat,
      checkSamples: 4,
    });
    expect(byName.outputSqnrDb).toBeCloseTo(mixed.outputSqnrDb ?? 0, 6);
  });
});
