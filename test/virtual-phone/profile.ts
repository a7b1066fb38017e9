/**
 * What a virtual phone looks like: system properties, battery/thermal state, memory, CPU clusters,
 * and which accelerators its (simulated) runtime offers. Mutable at run time so tests can heat it up.
 */

export interface PhoneProfile {
  /** getprop values. */
  props: Record<string, string>;
  battery: { level: number; temperatureTenthsC: number };
  /** Android thermal status 0..6 as printed by `dumpsys thermalservice`. */
  thermalStatus: number;
  memTotalKb: number;
  /** Per-CPU `cpu_capacity`; when absent, `cpuinfo_max_freq` from cpuMaxFreqKhz is used. */
  cpuCapacity?: number[];
  cpuMaxFreqKhz: number[];
  /** Execution providers the simulated runtime can create. */
  accelerators: { nnapi: boolean; qnnHtp: boolean; qnnGpu: boolean; webgpu: boolean; xnnpack: boolean };
}

export function defaultProfile(index = 0): PhoneProfile {
  return {
    props: {
      'ro.product.manufacturer': 'Google',
      'ro.product.model': index % 2 === 0 ? 'Pixel 8' : 'Pixel 7a',
      'ro.product.name': index % 2 === 0 ? 'shiba' : 'lynx',
      'ro.product.device': index % 2 === 0 ? 'shiba' : 'lynx',
      'ro.soc.manufacturer': 'Google',
      'ro.soc.model': index % 2 === 0 ? 'Tensor G3' : 'Tensor G2',
      'ro.board.platform': index % 2 === 0 ? 'zuma' : 'gs201',
      'ro.hardware': index % 2 === 0 ? 'shiba' : 'lynx',
      'ro.product.cpu.abilist': 'arm64-v8a,armeabi-v7a,armeabi',
      'ro.product.cpu.abi': 'arm64-v8a',
      'ro.build.version.release': '14',
      'ro.build.version.sdk': '34',
      'ro.serialno': `PQV${String(index).padStart(5, '0')}`,
      'sys.boot_completed': '1',
    },
    battery: { level: 87, temperatureTenthsC: 312 },
    thermalStatus: 0,
    memTotalKb: 7_834_412,
    cpuCapacity: [256, 256, 256, 256, 640, 640, 640, 1024],
    cpuMaxFreqKhz: [1704000, 1704000, 1704000, 1704000, 2367000, 2367000, 2367000, 2914000],
    accelerators: { nnapi: true, qnnHtp: true, qnnGpu: true, webgpu: false, xnnpack: true },
  };
}

export function dumpsysBattery(p: PhoneProfile): string {
  return [
    'Current Battery Service state:',
    '  AC powered: false',
    '  USB powered: true',
    '  Wireless powered: false',
    '  Dock powered: false',
    '  Max charging current: 500000',
    '  Max charging voltage: 5000000',
    '  Charge counter: 3815000',
    '  status: 2',
    '  health: 2',
    '  present: true',
    `  level: ${p.battery.level}`,
    '  scale: 100',
    '  voltage: 4262',
    `  temperature: ${p.battery.temperatureTenthsC}`,
    '  technology: Li-ion',
    '',
  ].join('\n');
}

export function dumpsysThermal(p: PhoneProfile): string {
  const t = (p.battery.temperatureTenthsC / 10).toFixed(1);
  return [
    'IsStatusOverride: false',
    'ThermalEventListeners:',
    '\tcallbacks: 2',
    '\tkilled: false',
    '\tbroadcasts count: -1',
    'ThermalStatusListeners:',
    '\tcallbacks: 1',
    '\tkilled: false',
    '\tbroadcasts count: -1',
    `Thermal Status: ${p.thermalStatus}`,
    'Cached temperatures:',
    `\tTemperature{mValue=${t}, mType=2, mName=battery, mStatus=${p.thermalStatus}}`,
    'HAL Ready: true',
    'HAL connection:',
    '\tThermalHAL AIDL 1  connected: yes',
    'Current temperatures from HAL:',
    `\tTemperature{mValue=${t}, mType=2, mName=battery, mStatus=${p.thermalStatus}}`,
    `\tTemperature{mValue=41.3, mType=0, mName=BIG, mStatus=${p.thermalStatus}}`,
    '\tTemperature{mValue=38.9, mType=0, mName=LITTLE, mStatus=0}',
    'Current cooling devices from HAL:',
    '\tCoolingDevice{mValue=0, mType=2, mName=fan}',
    '',
  ].join('\n');
}

export function meminfo(p: PhoneProfile): string {
  return [
    `MemTotal:       ${p.memTotalKb} kB`,
    `MemFree:         ${Math.round(p.memTotalKb * 0.08)} kB`,
    `MemAvailable:   ${Math.round(p.memTotalKb * 0.41)} kB`,
    'Buffers:            4096 kB',
    'Cached:          2391232 kB',
    'SwapCached:        10592 kB',
    '',
  ].join('\n');
}

/** Files under /proc and /sys the phone exposes. */
export function systemFiles(p: PhoneProfile): Map<string, string> {
  const files = new Map<string, string>();
  files.set('/proc/meminfo', meminfo(p));
  const n = p.cpuMaxFreqKhz.length;
  files.set('/sys/devices/system/cpu/possible', `0-${n - 1}\n`);
  files.set('/sys/devices/system/cpu/present', `0-${n - 1}\n`);
  for (let i = 0; i < n; i++) {
    const base = `/sys/devices/system/cpu/cpu${i}`;
    if (p.cpuCapacity) files.set(`${base}/cpu_capacity`, `${p.cpuCapacity[i]}\n`);
    files.set(`${base}/cpufreq/cpuinfo_max_freq`, `${p.cpuMaxFreqKhz[i]}\n`);
  }
  return files;
}
