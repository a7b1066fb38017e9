/** Device discovery types (contract). */

export type DeviceState = 'device' | 'unauthorized' | 'offline' | 'host' | 'unknown';

/** A device the app can benchmark on. `host` is this computer. */
export interface DeviceInfo {
  /** adb serial, or `host`. */
  serial: string;
  state: DeviceState;
  /** What the user should do when the device is not usable (e.g. accept the USB-debugging prompt). */
  hint?: string;
  facts?: DeviceFacts;
  /** adb server (`host:port`) that reports this device, when several servers are used. */
  server?: string;
  /** Model name from the adb banner, when known. */
  model?: string;
}

export interface DeviceFacts {
  manufacturer: string;
  model: string;
  soc: string;
  abis: string[];
  androidVersion: string;
  sdk: number;
  ramBytes: number | null;
  batteryLevel: number | null;
  batteryTempC: number | null;
  thermalStatus: number | null;
  /** CPU indices of the big (fastest) cores. */
  bigCores: number[];
  /** Hex affinity mask of `bigCores` for `taskset` (e.g. `f0`). */
  bigCoreMask?: string;
  cpuCount: number;
  /** Per-CPU `cpu_capacity` (null where unreadable), when the kernel exposes it. */
  cpuCapacity?: Array<number | null>;
  /** Per-CPU `cpuinfo_max_freq` in kHz (null where unreadable). */
  cpuMaxFreqKhz?: Array<number | null>;
}

/** A device list change reported by hot-plug tracking. */
export interface DeviceEvent {
  type: 'add' | 'remove' | 'change';
  device: DeviceInfo;
}
