/**
 * Progress reporting shared by every long operation (engine → shells → UI).
 */

/** One progress update of a long operation. */
export interface ProgressEvent {
  /** Stage of the operation, e.g. `compress`, `evaluate`, `push`, `benchmark`, `calibrate`. */
  stage: string;
  /** Units finished so far. */
  done: number;
  /** Total units, when known. */
  total?: number;
  /** Short human-readable detail (current file, variant, device…). */
  detail?: string;
  /** Device serial this update belongs to, for per-device progress. */
  device?: string;
}

/** Callback a long operation calls with progress. Must be cheap; may be called often. */
export type ProgressCallback = (event: ProgressEvent) => void;

/** Options every long engine operation accepts. */
export interface LongOperationOptions {
  /** Aborts the operation; it then throws `CancelledError`. */
  signal?: AbortSignal;
  /** Receives progress updates. */
  onProgress?: ProgressCallback;
}
