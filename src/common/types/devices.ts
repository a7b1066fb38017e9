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
  cpuCount: number;
}
