/**
 * Failed sweep runs are stored with their coded error and a hint: what the user can do about it.
 */
import { serializeError } from '../../../common/errors.js';
import type { SweepError } from '../../../common/types/sweep.js';

const HINTS: Partial<Record<string, string>> = {
  DEVICE_DISCONNECTED:
    'The phone disconnected. Reconnect it (check the cable and `adb devices`), then resume the sweep.',
  DEVICE_OFFLINE: 'The phone is offline. Unlock it, reconnect the cable, then resume the sweep.',
  DEVICE_NOT_FOUND: 'The phone is not connected. Plug it in (check `adb devices`), then resume the sweep.',
  DEVICE_UNAUTHORIZED: 'Unlock the phone and accept the USB-debugging prompt, then resume the sweep.',
  DEVICE_NO_SPACE: 'Free some storage on the phone, then resume the sweep.',
  DEVICE_THERMAL_TIMEOUT:
    'The phone stayed too hot. Let it cool down (screen off, out of its case), then resume the sweep.',
  ADB_UNAVAILABLE: 'Install Android platform-tools (adb) or start the adb server, then resume the sweep.',
  RUNNER_MISSING: "No benchmark runner for this phone's CPU architecture; use a phone with an arm64 or x86_64 ABI.",
  RUNNER_CRASHED: 'The on-device runner crashed on this variant; this backend may not support one of its operators.',
  RUNNER_UNSUPPORTED: 'The runner on this phone does not support this backend; remove it from the sweep targets.',
  BACKEND_UNSUPPORTED: 'This backend cannot run this variant on this device; compare it on cpu or xnnpack instead.',
  BENCH_FAILED: 'The benchmark process failed; run `pqv bench` on this variant to see the full error.',
  INFERENCE_FAILED: "ONNX Runtime could not run this variant; check the variant's operators with `pqv inspect`.",
  MODEL_UNSUPPORTED: 'This model cannot be compressed this way; drop this variant from the sweep.',
  VIT_NOT_FOUND: 'The pruner found no Vision Transformer blocks; pruning needs a ViT/DeiT export.',
  VIT_PATTERN_UNSUPPORTED:
    "The pruner does not recognise this model's attention layout; drop pruned variants from the sweep.",
  DATASET_INVALID: 'Check the dataset folder of the sweep (ImageFolder layout or labels.csv).',
  DATASET_EMPTY: 'The dataset folder has no images; point the sweep at a folder with images.',
  QUANT_ALREADY_QUANTIZED: 'The model is already quantized; start the sweep from the float model.',
  INTERNAL: 'This is a bug in PQV Studio; please report it with the sweep file.',
};

/** Errors that mean the device went away (its runs are retried when it returns). */
export const DEVICE_GONE_CODES = new Set(['DEVICE_DISCONNECTED', 'DEVICE_OFFLINE', 'DEVICE_NOT_FOUND']);

/** Serialize an error and attach the hint for its code. */
export function sweepError(e: unknown): SweepError {
  const s = serializeError(e);
  const hint = HINTS[s.code];
  return hint ? { ...s, hint } : s;
}
