/** Model import/inspection types (contract). */

export interface TensorInfo {
  name: string;
  /** ONNX element type name, e.g. `float32`, `float16`, `int64`. */
  type: string;
  /** Dimensions; symbolic dimensions are strings (e.g. `batch`), unknown ones `null`. */
  shape: Array<number | string | null>;
}

/** Summary printed by `pqv inspect --json` and shown in the UI. */
export interface ModelSummary {
  path: string;
  /** Default-domain opset version. */
  opset: number;
  irVersion: number;
  producer: string;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Number of parameters (elements of all initializers of float/int weight types). */
  params: number;
  /** File size in bytes (including external data files). */
  bytes: number;
  /** Operator histogram: op type → node count. */
  ops: Record<string, number>;
  /** True when some initializer is stored in an external data file. */
  externalData: boolean;
  /** SHA-256 of the model file, used as the model's identity in the results store. */
  sha256: string;
}
