/**
 * File-level quantization (what the CLI and UI call): load, resolve preprocessing and calibration images,
 * quantize, carry the `pqv.preprocess` metadata over, save, optionally write the ORT-format file, report.
 */
import { resolve } from 'node:path';
import { PqvError } from '../../../common/errors.js';
import type { PreprocessConfig } from '../../../common/types/evaluate.js';
import { embedPreprocess, resolvePreprocess } from '../evaluate/preprocess.js';
import { loadModel, saveModel } from '../onnx/model-io.js';
import { DataType } from '../onnx/tensor.js';
import { datasetSource } from './calibration.js';
import { assertFloatModel } from './guard.js';
import { exportOrtFormat } from './ort-export.js';
import { quantizeModel, type QuantizeOptions } from './quantize.js';
import type { QuantizeReport } from './types.js';

/** Options of `quantizeFile`: `QuantizeOptions` with a calibration folder instead of a source. */
export interface QuantizeFileOptions extends Omit<QuantizeOptions, 'calibration'> {
  /** Calibration images (ImageFolder or labels.csv folder), preprocessed like the model expects. */
  calibDir?: string;
  /** Calibration images to use (class-balanced subset). Default 128. */
  samples?: number;
  /** Also write `OUT.ort` (ORT format for mobile runtimes). */
  ort?: boolean;
}

/** Parameters of a float model: elements of its float initializers. */
function countParams(model: Awaited<ReturnType<typeof loadModel>>['model']): number {
  let n = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType === DataType.FLOAT || t.dataType === DataType.FLOAT16)
      n += t.dims.reduce((a, d) => a * Number(d), 1);
  }
  return n;
}

/** Quantize the model at `input` into `output`. */
export async function quantizeFile(input: string, output: string, o: QuantizeFileOptions): Promise<QuantizeReport> {
  const loaded = await loadModel(input);
  assertFloatModel(loaded.model, loaded.path);
  if (o.mode === 'int8-static' && !o.calibDir) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      'int8-static needs calibration images: pass --calib DIR (a few hundred images of the task).',
    );
  }
  let preprocess: PreprocessConfig | undefined;
  try {
    preprocess = await resolvePreprocess(loaded.path, loaded.model);
  } catch (e) {
    if (!(e instanceof PqvError && e.code === 'PREPROCESS_MISSING') || o.calibDir) throw e;
  }
  const calibration =
    o.calibDir && preprocess ? await datasetSource(o.calibDir, preprocess, o.samples ?? 128) : undefined;
  const r = await quantizeModel(loaded.model, { ...o, calibration });
  if (preprocess) embedPreprocess(r.model, preprocess);
  const t0 = performance.now();
  const bytesAfter = await saveModel(r.model, output);
  let ortOutput: string | undefined;
  if (o.ort) {
    ortOutput = resolve(output).replace(/\.onnx$/i, '') + '.ort';
    await exportOrtFormat(r.model, ortOutput);
  }
  r.timings.save = (performance.now() - t0) / 1000;
  return {
    mode: o.mode,
    backend: o.backend ?? 'cpu',
    input: loaded.path,
    output: resolve(output),
    ortOutput,
    bytesBefore: loaded.bytes.length,
    bytesAfter,
    params: countParams(loaded.model),
    settings: r.settings as QuantizeReport['settings'],
    quantizedNodes: r.quantizedNodes,
    keptFloat: r.keptFloat,
    sensitivity: r.sensitivity,
    outputSqnrDb: r.outputSqnrDb,
    violations: r.violations,
    timings: r.timings,
  };
}
