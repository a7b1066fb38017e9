/**
 * Backend profiles: what each profile produces satisfies that backend's constraints (checked by
 * `checkBackendConstraints`), and outputs shaped for one backend are flagged by stricter ones.
 */
import { describe, expect, it } from 'vitest';
import { GraphIndex } from '../../../src/main/engine/onnx/graph.js';
import { DataType, readInts } from '../../../src/main/engine/onnx/tensor.js';
import { randomSource } from '../../../src/main/engine/quantize/calibration.js';
import { checkBackendConstraints } from '../../../src/main/engine/quantize/constraints.js';
import { BACKEND_PROFILES } from '../../../src/main/engine/quantize/profiles.js';
import { quantizeModel, type QuantizeOutcome } from '../../../src/main/engine/quantize/quantize.js';
import { hasStaticInputs } from '../../../src/main/engine/quantize/shapes.js';
import { BACKEND_NAMES, type QuantType } from '../../../src/main/engine/quantize/types.js';
import { loadFixture, opCounts, run } from './helpers.js';

const calibration = randomSource([3, 224, 224], 4, 11, 4);

function qTypes(r: QuantizeOutcome): { act: Set<number>; weight: Set<number> } {
  const g = r.model.graph;
  const idx = new GraphIndex(
    g ??
      (() => {
        throw new Error('no graph');
      })(),
  );
  const act = new Set<number>();
  const weight = new Set<number>();
  for (const n of g?.node ?? []) {
    if (n.opType === 'QuantizeLinear') act.add(idx.constantTensor(n.input[2] ?? '')?.dataType ?? DataType.UINT8);
    if (n.opType === 'DequantizeLinear') {
      const w = idx.initializers.get(n.input[0] ?? '');
      if (w && w.dataType !== DataType.INT32) weight.add(w.dataType);
    }
  }
  return { act, weight };
}

describe('each backend profile produces what the backend accepts', () => {
  for (const backend of BACKEND_NAMES) {
    const p = BACKEND_PROFILES[backend];
    it(`${backend}: default mode ${p.defaultMode} has no violations and runs on ORT CPU`, async () => {
      const f = await loadFixture('timm-vit-op17');
      const r = await quantizeModel(f.model, { mode: p.defaultMode, backend, calibration, checkSamples: 2 });
      expect(r.violations).toEqual([]);
      expect(checkBackendConstraints(r.model, backend)).toEqual([]);
      expect(hasStaticInputs(r.model)).toBe(p.staticShapes || false);
      if (p.defaultMode === 'int8-static') {
        const t = qTypes(r);
        expect([...t.act].every((x) => p.activationTypes.includes(nameOf(x)))).toBe(true);
        expect([...t.weight].every((x) => p.weightTypes.includes(nameOf(x)))).toBe(true);
      }
      expect(r.outputSqnrDb).toBeGreaterThan(backend === 'gpu' ? 50 : 12);
      const out = await run(r.model, f.input, [1, 3, 224, 224]);
      expect(out.length).toBe(10);
    });
  }

  it('nnapi: uint8 activations, per-tensor uint8 weights, batch fixed to 1', async () => {
    const f = await loadFixture('timm-vit-op17');
    const r = await quantizeModel(f.model, { mode: 'int8-static', backend: 'nnapi', calibration, checkSamples: 2 });
    const t = qTypes(r);
    expect([...t.act]).toEqual([DataType.UINT8]);
    expect([...t.weight]).toEqual([DataType.UINT8]);
    const g = r.model.graph;
    const idx = new GraphIndex(
      g ??
        (() => {
          throw new Error('no graph');
        })(),
    );
    for (const n of g?.node.filter((x) => x.opType === 'DequantizeLinear') ?? []) {
      const s = idx.constantTensor(n.input[1] ?? '');
      expect(s?.dims.length ?? 0).toBe(0); // per tensor
    }
    expect(opCounts(r.model).DynamicQuantizeLinear).toBeUndefined();
    const dim0 =
      g?.input[0]?.type?.value.case === 'tensorType' ? g.input[0].type.value.value.shape?.dim[0]?.value : undefined;
    expect(dim0).toEqual({ case: 'dimValue', value: 1n });
  });

  it('qnn-htp with uint16 activations uses com.microsoft Q/DQ (accepted by ORT CPU) and symmetric int8 weights', async () => {
    const f = await loadFixture('timm-vit-op17');
    const r = await quantizeModel(f.model, {
      mode: 'int8-static',
      backend: 'qnn-htp',
      activationType: 'uint16',
      calibration,
      checkSamples: 2,
    });
    expect(r.violations).toEqual([]);
    const q = r.model.graph?.node.filter((n) => n.opType === 'QuantizeLinear') ?? [];
    expect(q.length).toBeGreaterThan(20);
    expect(q.every((n) => n.domain === 'com.microsoft')).toBe(true);
    expect(qTypes(r).act).toEqual(new Set([DataType.UINT16]));
    const g = r.model.graph;
    const idx = new GraphIndex(
      g ??
        (() => {
          throw new Error('no graph');
        })(),
    );
    for (const n of g?.node.filter((x) => x.opType === 'DequantizeLinear' && x.domain === '') ?? []) {
      const zp = idx.constantTensor(n.input[2] ?? '');
      if (zp && zp.dataType === DataType.INT8) expect(readInts(zp).every((z) => z === 0)).toBe(true);
    }
    expect(r.outputSqnrDb).toBeGreaterThan(25); // 16-bit activations: closer to float than 8-bit
  });
});

describe('constraint checker flags models shaped for another backend', () => {
  it('cpu int8-static output violates nnapi (per-channel int8 weights, dynamic batch) and gpu (no fp16)', async () => {
    const f = await loadFixture('timm-vit-op17');
    const r = await quantizeModel(f.model, { mode: 'int8-static', backend: 'cpu', calibration, checkSamples: 2 });
    const v = checkBackendConstraints(r.model, 'nnapi');
    expect(v.some((x) => x.includes('fixed input shapes'))).toBe(true);
    expect(v.some((x) => x.includes('per-tensor'))).toBe(true);
    expect(v.some((x) => x.includes('uint8 weights'))).toBe(true);
    expect(checkBackendConstraints(r.model, 'gpu').some((x) => x.includes('float16'))).toBe(true);
  });

  it('dynamic quantization violates qnn-htp and nnapi; fp16 violates xnnpack/nnapi', async () => {
    const f = await loadFixture('timm-vit-op17');
    const dyn = await quantizeModel(f.model, { mode: 'int8-dynamic' });
    expect(checkBackendConstraints(dyn.model, 'qnn-htp').some((x) => x.includes('DynamicQuantizeMatMul'))).toBe(true);
    expect(checkBackendConstraints(dyn.model, 'nnapi').some((x) => x.includes('com.microsoft'))).toBe(true);
    const half = await quantizeModel(f.model, { mode: 'fp16', backend: 'gpu' });
    expect(checkBackendConstraints(half.model, 'nnapi').some((x) => x.includes('float16'))).toBe(true);
    expect(checkBackendConstraints(f.model, 'gpu').length).toBeGreaterThan(0);
  });

  it('refuses settings a backend cannot run with BACKEND_UNSUPPORTED', async () => {
    const f = await loadFixture('timm-vit-op17');
    await expect(quantizeModel(f.model, { mode: 'fp16', backend: 'nnapi' })).rejects.toMatchObject({
      code: 'BACKEND_UNSUPPORTED',
    });
    await expect(
      quantizeModel(f.model, { mode: 'int8-static', backend: 'nnapi', perChannel: true, calibration }),
    ).rejects.toMatchObject({ code: 'BACKEND_UNSUPPORTED' });
    await expect(
      quantizeModel(f.model, { mode: 'int8-static', backend: 'xnnpack', activationType: 'uint16', calibration }),
    ).rejects.toMatchObject({ code: 'BACKEND_UNSUPPORTED' });
  });
});

function nameOf(dt: number): QuantType {
  return (
    (
      {
        [DataType.UINT8]: 'uint8',
        [DataType.INT8]: 'int8',
        [DataType.UINT16]: 'uint16',
        [DataType.INT16]: 'int16',
      } as Record<number, QuantType>
    )[dt] ?? 'uint8'
  );
}
