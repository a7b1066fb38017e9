/**
 * Quantization options and results shared by the quantize engine, the CLI and the UI.
 */

/** Output precision form. */
export type QuantMode = 'fp16' | 'int8-dynamic' | 'int8-static';

/** Mobile backend the quantized model is shaped for. */
export type BackendName = 'cpu' | 'xnnpack' | 'nnapi' | 'qnn-htp' | 'gpu';

export const BACKEND_NAMES: readonly BackendName[] = ['cpu', 'xnnpack', 'nnapi', 'qnn-htp', 'gpu'];
export const QUANT_MODES: readonly QuantMode[] = ['fp16', 'int8-dynamic', 'int8-static'];

/** Integer element type of quantized tensors. */
export type QuantType = 'uint8' | 'int8' | 'uint16' | 'int16';

/** Activation range estimator. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** A float range [min, max] of one tensor. */
export interface TensorRange {
  min: number;
  max: number;
}

/** Sensitivity of one quantizable layer (node). */
export interface LayerSensitivity {
  /** Node name (or generated id when unnamed). */
  node: string;
  opType: string;
  /** SQNR (dB) of the model output when only this layer is quantized; lower = more sensitive. */
  sqnrDb: number;
  /** True when mixed precision kept this layer in float. */
  keptFloat: boolean;
}

/** Summary of one quantization run (CLI `--json` and UI). */
export interface QuantizeReport {
  mode: QuantMode;
  backend: BackendName;
  input: string;
  output: string;
  /** ORT-format file written next to the output, when requested. */
  ortOutput?: string;
  bytesBefore: number;
  bytesAfter: number;
  params: number;
  /** Settings that were applied (after backend defaults). */
  settings: {
    activationType?: QuantType;
    weightType?: QuantType;
    perChannel?: boolean;
    method?: CalibrationMethod;
    percentile?: number;
    samples?: number;
    staticBatch?: boolean;
    keepIoTypes?: boolean;
  };
  /** Number of nodes computing in reduced precision (quantized or fp16). */
  quantizedNodes: number;
  /** Names of nodes kept in float32. */
  keptFloat: string[];
  /** Per-layer sensitivity table (int8-static with keepFloat or when requested). */
  sensitivity?: LayerSensitivity[];
  /** SQNR (dB) of the quantized model's output vs the float model on the check samples. */
  outputSqnrDb?: number;
  /** Backend constraint violations found in the result (empty when the model fits the backend). */
  violations: string[];
  /** Seconds spent, by stage. */
  timings: Record<string, number>;
}
