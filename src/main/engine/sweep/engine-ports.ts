/**
 * The sweep's only seam to the rest of the engine: compress a variant (prune, then quantize), evaluate its
 * accuracy, benchmark it on this computer or on a phone, and list devices. The runner receives these functions as
 * `EnginePorts`, so tests can pass fakes and wiring a module is a change in this file only.
 */
import { sha256File } from '../util/hash.js';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import type { Backend, BenchOptions, BenchResult } from '../../../common/types/bench.js';
import type { EvalResult } from '../../../common/types/evaluate.js';
import type { PlannedVariant } from '../../../common/types/sweep.js';
import { benchOnHost } from '../bench/host-bench.js';
import { evaluateModel } from '../evaluate/evaluate.js';
import { embedPreprocess, resolvePreprocess } from '../evaluate/preprocess.js';
import { inspectModel, summarize } from '../model/inspect.js';
import { loadModel, serializeModel } from '../onnx/model-io.js';
import { pruneModel } from '../prune/prune.js';
import { recoverAccuracy } from '../recover/recover.js';
import { datasetSource, type CalibrationSource } from '../quantize/calibration.js';
import { quantizeModel } from '../quantize/quantize.js';
import type { SweepDevice } from './plan.js';
import type { DeviceInfo } from '../../../common/types/devices.js';
import { adbClient } from '../devices/adb-server.js';
import { benchOnDevice } from '../devices/device-bench.js';
import { listPhones } from '../devices/discovery.js';
import { readDeviceFacts } from '../devices/facts.js';
import { resolveRunner } from '../devices/runners.js';

/** Inputs of building one variant. */
export interface CompressInput {
  /** Base model file. */
  modelPath: string;
  variant: PlannedVariant;
  /** Calibration images (static quantization, data-driven pruning). */
  calibDir?: string;
  calibLimit?: number;
}

/** A built variant, in memory; the runner hashes and caches it. */
export interface CompressOutput {
  bytes: Uint8Array;
  params: number;
}

export interface EnginePorts {
  /** SHA-256 (hex) of a file. */
  hashFile(path: string): Promise<string>;
  /** Parameter count and file size of a model file (the baseline is not rebuilt). */
  modelStats(path: string): Promise<{ params: number; bytes: number }>;
  compressVariant(input: CompressInput, op: LongOperationOptions): Promise<CompressOutput>;
  evaluateVariant(
    modelPath: string,
    opts: { dataDir: string; limit?: number },
    op: LongOperationOptions,
  ): Promise<EvalResult>;
  benchHost(modelPath: string, opts: BenchOptions, op: LongOperationOptions): Promise<BenchResult>;
  benchDevice(
    serial: string,
    modelPath: string,
    backend: Backend,
    opts: BenchOptions,
    op: LongOperationOptions,
  ): Promise<BenchResult>;
  /** Connected phones (not the host); cheap, polled while a phone is away. */
  listDevices(): Promise<SweepDevice[]>;
  /** Backends a ready phone's runner supports (read once when a sweep is planned); empty = unknown. */
  deviceBackends(serial: string): Promise<Backend[]>;
}

async function compressVariant(input: CompressInput, op: LongOperationOptions): Promise<CompressOutput> {
  const base = (await loadModel(input.modelPath)).model;
  // Variants live in the cache folder without a sidecar: they carry the preprocessing in their metadata.
  const preprocess = await resolvePreprocess(input.modelPath, base);
  let model = base;
  const { prune, quant } = input.variant;
  if (prune) {
    const calibration = input.calibDir
      ? { dataDir: input.calibDir, ...(input.calibLimit ? { samples: input.calibLimit } : {}) }
      : undefined;
    const r = await pruneModel(
      model,
      {
        method: prune.method,
        target: prune.target,
        ratio: prune.ratio,
        modelPath: input.modelPath,
        ...(calibration ? { calibration } : {}),
      },
      op,
    );
    model = r.model;
    if (prune.recover) {
      if (!calibration)
        throw new PqvError(
          'SWEEP_CONFIG_INVALID',
          'Recovery after pruning needs calibration images: set "calibDataset".',
          {
            field: 'calibDataset',
          },
        );
      const rec = await recoverAccuracy(
        model,
        base,
        { method: prune.recover, calibration, modelPath: input.modelPath, teacherPath: input.modelPath },
        op,
      );
      model = rec.model;
    }
  }
  throwIfAborted(op.signal);
  if (quant) {
    let calibration: CalibrationSource | undefined;
    if (quant.mode === 'int8-static') {
      if (!input.calibDir)
        throw new PqvError(
          'SWEEP_CONFIG_INVALID',
          'int8-static variants need calibration images: set "calibDataset".',
          { field: 'calibDataset' },
        );
      calibration = await datasetSource(input.calibDir, preprocess, input.calibLimit ?? 64);
    }
    const r = await quantizeModel(model, {
      mode: quant.mode,
      backend: quant.profile ?? 'cpu',
      ...(calibration ? { calibration } : {}),
      ...(op.signal ? { signal: op.signal } : {}),
      ...(op.onProgress ? { onProgress: op.onProgress } : {}),
    });
    model = r.model;
  }
  embedPreprocess(model, preprocess);
  const bytes = serializeModel(model);
  const { params } = summarize(model, { path: '<variant>', fileBytes: bytes.length, sha256: '' });
  return { bytes, params };
}

async function modelStatsOf(path: string): Promise<{ params: number; bytes: number }> {
  const s = await inspectModel(path);
  return { params: s.params, bytes: s.bytes };
}

async function evaluateVariant(
  modelPath: string,
  opts: { dataDir: string; limit?: number },
  op: LongOperationOptions,
): Promise<EvalResult> {
  return evaluateModel({ modelPath, dataDir: opts.dataDir, ...(opts.limit ? { limit: opts.limit } : {}) }, op);
}

async function benchDevice(
  serial: string,
  modelPath: string,
  backend: Backend,
  opts: BenchOptions,
  op: LongOperationOptions,
): Promise<BenchResult> {
  return benchOnDevice(serial, modelPath, backend, opts, op);
}

/** Phones of the adb server; none when adb is not installed or not reachable (the sweep then runs on the host). */
async function listDevices(): Promise<SweepDevice[]> {
  let devices: DeviceInfo[];
  try {
    devices = await listPhones();
  } catch {
    return [];
  }
  return devices.filter((d) => d.serial !== 'host').map((d) => ({ serial: d.serial, state: d.state, backends: [] }));
}

/**
 * What the phone's runner can do: cpu and xnnpack always; nnapi on Android 8.1+ (API 27); gpu and npu through
 * QNN when the runner ships the QNN GPU / HTP libraries and the SoC is a Qualcomm one (SM8550, SDM845…).
 */
async function deviceBackends(serial: string): Promise<Backend[]> {
  try {
    const f = await readDeviceFacts(await adbClient(), serial);
    const runner = await resolveRunner(f.abis);
    const libs = new Set(runner.files.map((x) => x.name));
    const qualcomm = /^(sm|sdm|msm|qcs|apq)\d|qualcomm|qti|snapdragon/i.test(f.soc);
    const out: Backend[] = ['cpu', 'xnnpack'];
    if (f.sdk >= 27) out.push('nnapi');
    if (qualcomm && libs.has('libQnnGpu.so')) out.push('gpu');
    if (qualcomm && libs.has('libQnnHtp.so')) out.push('npu');
    return out;
  } catch {
    return [];
  }
}

/** The real engine. */
export function realPorts(): EnginePorts {
  return {
    hashFile: sha256File,
    modelStats: modelStatsOf,
    compressVariant,
    evaluateVariant,
    benchHost: benchOnHost,
    benchDevice,
    listDevices,
    deviceBackends,
  };
}
