/**
 * Public face of the device layer for the shells: the device list (this computer + phones with facts),
 * live watching, and on-device benchmarks. A missing adb gives a host-only list, never an error.
 */
import type { DeviceInfo } from '../../../common/types/devices.js';
import { isPqvError } from '../../../common/errors.js';
import { adbClient, type AdbServerOptions } from './adb-server.js';
import { DeviceWatcher, hostDevice, listPhones } from './discovery.js';
import { readDeviceFacts } from './facts.js';

export { benchOnDevice } from './device-bench.js';
export { hostDevice } from './discovery.js';

/** Facts are read once per serial and kept while the phone stays connected. */
const factsCache = new Map<string, DeviceInfo['facts']>();

async function withFacts(d: DeviceInfo, opts: AdbServerOptions): Promise<DeviceInfo> {
  if (d.state !== 'device') return d;
  let facts = factsCache.get(d.serial);
  if (!facts) {
    try {
      facts = await readDeviceFacts(await adbClient(opts), d.serial);
      factsCache.set(d.serial, facts);
    } catch {
      return d;
    }
  }
  return { ...d, facts, model: d.model ?? facts?.model };
}

/** This computer plus every phone the adb server sees (with facts for usable ones). */
export async function listDevices(opts: AdbServerOptions = {}): Promise<DeviceInfo[]> {
  let phones: DeviceInfo[] = [];
  try {
    phones = await listPhones([opts]);
  } catch (e) {
    if (!(isPqvError(e) && e.code === 'ADB_UNAVAILABLE')) throw e;
  }
  return [hostDevice(), ...(await Promise.all(phones.map((p) => withFacts(p, opts))))];
}

/**
 * Call `onChange` with the phone list whenever a phone appears, leaves or changes state.
 * Returns a function that stops watching. Without adb it never calls back.
 */
export function watchDevices(onChange: (devices: DeviceInfo[]) => void, opts: AdbServerOptions = {}): () => void {
  const watcher = new DeviceWatcher(opts);
  let stopped = false;
  watcher.on('event', (ev: { type: string; device: DeviceInfo }) => {
    if (ev.type === 'remove') factsCache.delete(ev.device.serial);
    void Promise.all(watcher.devices.map((d) => withFacts(d, opts))).then((list) => {
      if (!stopped) onChange(list);
    });
  });
  watcher.on('error', () => undefined);
  watcher.start().catch(() => undefined);
  return () => {
    stopped = true;
    watcher.stop();
  };
}
