/**
 * Fake engine ports for sweep tests: compression writes the spec as bytes (the quantization profile is ignored, so
 * `int8-dynamic` for cpu and xnnpack build identical bytes), latency depends on the variant, devices can be unplugged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PqvError, throwIfAborted } from '../../../src/common/errors.js';
import type { Backend, BenchOptions, BenchResult } from '../../../src/common/types/bench.js';
import type { EnginePorts } from '../../../src/main/engine/sweep/engine-ports.js';
import { sha256File as hashFile } from '../../../src/main/engine/util/hash.js';
import type { SweepDevice } from '../../../src/main/engine/sweep/plan.js';

export interface FakeWorld {
  dir: string;
  modelPath: string;
  dataDir: string;
  ports: EnginePorts;
  calls: { compress: string[]; evaluate: string[]; bench: string[] };
  devices: Map<string, SweepDevice>;
  /** Serials whose next benchmark fails as disconnected (and that vanish from the device list). */
  unplugOnNextBench: Set<string>;
  /** Labels-in-bytes whose compression fails. */
  failCompressFor: Set<string>;
}

function fakeBench(
  device: string,
  backend: Backend,
  modelPath: string,
  o: BenchOptions,
  sizeHint: number,
): BenchResult {
  const p50 = 10 + (sizeHint % 97) / 10 + (backend === 'xnnpack' ? -2 : 0);
  return {
    device,
    backend,
    initMs: 5,
    firstMs: p50 * 2,
    meanMs: p50 + 0.5,
    p50Ms: p50,
    p90Ms: p50 + 1,
    p99Ms: p50 + 2,
    minMs: p50 - 1,
    maxMs: p50 + 3,
    stdMs: 0.5,
    peakRssBytes: 1000 + sizeHint,
    runs: o.runs ?? 1,
    warmup: o.warmup ?? 0,
    threads: 0,
  };
}

export function makeWorld(opts: { delayMs?: number } = {}): FakeWorld {
  const dir = mkdtempSync(join(tmpdir(), 'pqv-sweep-'));
  const modelPath = join(dir, 'model.onnx');
  writeFileSync(modelPath, 'BASE-MODEL-BYTES');
  const calls = { compress: [] as string[], evaluate: [] as string[], bench: [] as string[] };
  const devices = new Map<string, SweepDevice>();
  const unplugOnNextBench = new Set<string>();
  const failCompressFor = new Set<string>();
  const delay = async (signal?: AbortSignal): Promise<void> => {
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    throwIfAborted(signal);
  };
  const sizeOf = async (p: string): Promise<number> => (await import('node:fs')).statSync(p).size;
  const ports: EnginePorts = {
    hashFile,
    modelStats: async (p) => ({ params: 1000, bytes: await sizeOf(p) }),
    compressVariant: async ({ variant }, { signal }) => {
      await delay(signal);
      const content = JSON.stringify({ prune: variant.prune ?? null, quant: variant.quant?.mode ?? null });
      calls.compress.push(variant.label);
      if (failCompressFor.has(variant.label)) throw new PqvError('VIT_PATTERN_UNSUPPORTED', 'unknown attention layout');
      return { bytes: new TextEncoder().encode(content), params: 500 + content.length };
    },
    evaluateVariant: async (p, _o, { signal }) => {
      await delay(signal);
      calls.evaluate.push(p);
      const size = await sizeOf(p);
      return { top1: 0.9 - (size % 13) / 100, top5: 0.99, n: 20 };
    },
    benchHost: async (p, o, { signal }) => {
      await delay(signal);
      calls.bench.push(`host|host|${p}`);
      return fakeBench('host', 'host', p, o, await sizeOf(p));
    },
    benchDevice: async (serial, p, backend, o, { signal }) => {
      await delay(signal);
      const d = devices.get(serial);
      if (unplugOnNextBench.has(serial)) {
        unplugOnNextBench.delete(serial);
        if (d) d.state = 'gone';
      }
      if (!d || d.state !== 'device') throw new PqvError('DEVICE_DISCONNECTED', `${serial} disconnected`);
      calls.bench.push(`${serial}|${backend}|${p}`);
      return fakeBench(serial, backend, p, o, await sizeOf(p));
    },
    deviceBackends: async (serial) => devices.get(serial)?.backends ?? [],
    listDevices: async () => [...devices.values()].filter((d) => d.state !== 'gone').map((d) => ({ ...d })),
  };
  return { dir, modelPath, dataDir: dir, ports, calls, devices, unplugOnNextBench, failCompressFor };
}
