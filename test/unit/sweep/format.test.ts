import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../../src/common/types/bench.js';
import { formatResults } from '../../../src/main/engine/sweep/format.js';
import type { StoredRun, StoredSweep } from '../../../src/main/engine/sweep/store-port.js';
import { buildResults } from '../../../src/main/engine/sweep/summary.js';

const bench = (p50: number): BenchResult => ({
  device: 'P1',
  backend: 'cpu',
  initMs: 1,
  firstMs: 1,
  meanMs: p50,
  p50Ms: p50,
  p90Ms: p50,
  p99Ms: p50,
  minMs: p50,
  maxMs: p50,
  stdMs: 0,
  peakRssBytes: 1,
  runs: 1,
  warmup: 0,
  threads: 1,
});

const sweep: StoredSweep = {
  id: 'sw-1',
  createdAt: '2026-01-01T00:00:00.000Z',
  state: 'done',
  config: {
    spec: {
      name: 'fmt',
      model: 'm',
      dataset: 'd',
      variants: [],
      targets: { devices: ['P1'] },
      bench: { runs: 1, warmup: 0 },
    },
    modelPath: '/m.onnx',
    dataDir: '/d',
    modelSha256: 'a',
    variants: [
      { key: 'k0', label: 'baseline', isBaseline: true },
      { key: 'k1', label: 'int8', isBaseline: false, quant: { mode: 'int8-dynamic', profile: 'cpu' } },
      { key: 'k2', label: 'fp16', isBaseline: false, quant: { mode: 'fp16' } },
      { key: 'k3', label: 'broken', isBaseline: false, prune: { method: 'l2', target: 'heads', ratio: 0.5 } },
    ],
    targets: [
      { device: 'P1', backend: 'cpu' },
      { device: 'P1', backend: 'nnapi' },
    ],
    builds: {
      k0: { key: 'k0', label: 'baseline', path: '/m.onnx', sha256: 's0', bytes: 1000, params: 10 },
      k1: { key: 'k1', label: 'int8', path: '/1.onnx', sha256: 's1', bytes: 250, params: 10 },
      k2: { key: 'k2', label: 'fp16', path: '/2.onnx', sha256: 's2', bytes: 500, params: 10 },
    },
    buildErrors: { k3: { code: 'VIT_NOT_FOUND', message: 'no ViT', hint: 'use a ViT' } },
  },
};
const t = { startedAt: 'x', finishedAt: 'y' };
const runs: StoredRun[] = [
  {
    kind: 'eval',
    variantSha256: 's0',
    device: 'host',
    backend: 'host',
    status: 'ok',
    eval: { top1: 0.9, top5: 1, n: 10 },
    ...t,
  },
  {
    kind: 'eval',
    variantSha256: 's1',
    device: 'host',
    backend: 'host',
    status: 'ok',
    eval: { top1: 0.85, top5: 1, n: 10 },
    ...t,
  },
  {
    kind: 'eval',
    variantSha256: 's2',
    device: 'host',
    backend: 'host',
    status: 'ok',
    eval: { top1: 0.9, top5: 1, n: 10 },
    ...t,
  },
  { kind: 'bench', variantSha256: 's0', device: 'P1', backend: 'cpu', status: 'ok', bench: bench(20), ...t },
  { kind: 'bench', variantSha256: 's1', device: 'P1', backend: 'cpu', status: 'ok', bench: bench(5), ...t },
  { kind: 'bench', variantSha256: 's2', device: 'P1', backend: 'cpu', status: 'ok', bench: bench(25), ...t },
  { kind: 'bench', variantSha256: 's0', device: 'P1', backend: 'nnapi', status: 'ok', bench: bench(10), ...t },
  {
    kind: 'bench',
    variantSha256: 's1',
    device: 'P1',
    backend: 'nnapi',
    status: 'failed',
    error: { code: 'BACKEND_UNSUPPORTED', message: 'no int8 on nnapi', hint: 'try cpu' },
    ...t,
  },
];

describe('sweep summary rows and text', () => {
  it('computes speed-ups, size ratios and per-target Pareto flags', () => {
    const r = buildResults(sweep, runs);
    const [base, int8, fp16, broken] = r.rows;
    expect(int8!.cells[0]).toMatchObject({ status: 'ok', p50Ms: 5, speedup: 4, pareto: true });
    expect(base!.cells[0]).toMatchObject({ speedup: 1, pareto: true });
    expect(fp16!.cells[0]).toMatchObject({ pareto: false }); // slower than baseline at equal accuracy
    expect(int8!.cells[1]).toMatchObject({ status: 'failed', pareto: false, error: { code: 'BACKEND_UNSUPPORTED' } });
    expect(fp16!.cells[1]).toMatchObject({ status: 'pending', pareto: false });
    expect(base!.cells[1]).toMatchObject({ pareto: true });
    expect(int8!.sizeRatio).toBe(0.25);
    expect(broken).toMatchObject({ status: 'failed', error: { code: 'VIT_NOT_FOUND' } });
    expect(broken!.cells.every((c) => c.status === 'failed')).toBe(true);
    expect(r.counts).toEqual({ total: 8, ok: 4, failed: 3, pending: 1 });
  });

  it('prints one line per variant with latency, speed-up, front marks and the problems', () => {
    const text = formatResults(buildResults(sweep, runs));
    expect(text).toMatch(/int8\s+85\.00 %\s+0\.00 MB\s+5\.00 ms ×4\.00 \*/);
    expect(text).toContain('failed BACKEND_UNSUPPORTED');
    expect(text).toContain('int8 on P1/nnapi: BACKEND_UNSUPPORTED: no int8 on nnapi — try cpu');
    expect(text).toContain('broken: VIT_NOT_FOUND: no ViT — use a ViT');
    expect(text).toContain('Resume with: pqv sweep --resume sw-1');
  });
});
