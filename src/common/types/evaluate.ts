/** Accuracy evaluation types (contract). */

/** How images are turned into model input. Stored in ONNX metadata `pqv.preprocess` or `MODEL.preprocess.json`. */
export interface PreprocessConfig {
  /** Input height and width fed to the model. */
  height: number;
  width: number;
  /** 1 (grayscale) or 3 (RGB). */
  channels: 1 | 3;
  /** Resize the shorter side to this before centre-cropping to height×width; absent = resize straight to height×width. */
  resizeShorter?: number;
  /** Per-channel mean and std applied after scaling to [0,1]. */
  mean: number[];
  std: number[];
  /** Layout of the model input. Default `NCHW`. */
  layout?: 'NCHW' | 'NHWC';
  /** Class names in label order, if known. */
  labels?: string[];
}

export interface EvalOptions {
  /** Dataset folder: ImageFolder tree or a folder with `labels.csv`. */
  dataDir: string;
  /** Deterministic class-balanced subset of this many images. */
  limit?: number;
  /** Batch size. Default 32. */
  batchSize?: number;
}

/** Result of `pqv eval --json`. Accuracies are fractions in [0,1]. */
export interface EvalResult {
  top1: number;
  top5: number;
  n: number;
  /** Per-class top-1 accuracy. */
  perClass?: number[];
}
