/** User settings and the on-device runners check (contract). */
import type { ErrorCode } from '../errors.js';

/** What the user chose in Settings (or `pqv settings`); absent fields fall back to env vars and defaults. */
export interface UserSettings {
  /** Folder holding `<abi>/onnxruntime_perf_test` and its libraries (see docs/runners.md). */
  runnersDir?: string;
  /** adb server host. */
  adbHost?: string;
  /** adb server port. */
  adbPort?: number;
}

/** A change to the settings: a value sets the field, `null` clears it, an absent field stays as it is. */
export interface SettingsUpdate {
  runnersDir?: string | null;
  adbHost?: string | null;
  adbPort?: number | null;
}

/** Where a value in effect comes from (precedence: env > settings > default). */
export type SettingSource = 'env' | 'settings' | 'default';

/** One value in effect. */
export interface EffectiveValue<T> {
  value: T;
  source: SettingSource;
  /** The environment variable that set it, when `source` is `env`. */
  envVar?: string;
}

/** The settings file, and the values the app uses now. */
export interface SettingsInfo {
  /** Path of the settings file (in the data folder). */
  file: string;
  /** What the settings file holds. */
  settings: UserSettings;
  effective: {
    runnersDir: EffectiveValue<string>;
    adbHost: EffectiveValue<string>;
    adbPort: EffectiveValue<number>;
  };
}

/** A coded note about a runner that does not stop the check. */
export interface RunnerCheckWarning {
  code: ErrorCode;
  message: string;
}

/** One ABI folder of a runners folder. */
export interface RunnerAbiCheck {
  abi: string;
  /** `onnxruntime_perf_test` is present. */
  binary: boolean;
  /** Shared libraries that would be pushed (`*.so`), sorted. */
  libs: string[];
  /** ONNX Runtime version from the VERSION file, or null when unknown. */
  version: string | null;
  /** Accelerator backends the QNN libraries make possible. */
  qnn: { gpu: boolean; npu: boolean };
  warnings: RunnerCheckWarning[];
}

/** Result of checking a runners folder. */
export interface RunnersInspection {
  /** The folder checked (absolute). */
  dir: string;
  /** ABI sub-folders, sorted by name. */
  abis: RunnerAbiCheck[];
}
