/**
 * Device facts: parsers for `getprop`, /proc/meminfo, `dumpsys battery`, `dumpsys thermalservice` and
 * the CPU capacity/frequency files, and `readDeviceFacts` that gathers them in two shell round trips.
 */
import type { DeviceFacts } from '../../../common/types/devices.js';
import { PqvError } from '../../../common/errors.js';
import type { AdbClient } from './adb-server.js';
import { runShell } from './device-shell.js';

/** `getprop` output (`[key]: [value]` lines; values may span lines) → map. */
export function parseGetprop(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^\[([^\]]+)\]: \[([\s\S]*?)\]\s*$/gm;
  for (const m of text.replace(/\r\n/g, '\n').matchAll(re)) out[m[1]!] = m[2]!;
  return out;
}

/** MemTotal of /proc/meminfo in bytes, or null. */
export function parseMeminfo(text: string): number | null {
  const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/** `dumpsys battery` → level (%) and temperature (°C; the service reports tenths of a degree). */
export function parseBattery(text: string): { level: number | null; tempC: number | null } {
  const level = /^\s*level:\s*(-?\d+)/m.exec(text);
  const scale = /^\s*scale:\s*(\d+)/m.exec(text);
  const temp = /^\s*temperature:\s*(-?\d+)/m.exec(text);
  const lv = level ? Number(level[1]) : null;
  const sc = scale ? Number(scale[1]) : 100;
  return {
    level: lv === null || sc <= 0 ? null : Math.round((lv / sc) * 100),
    tempC: temp ? Number(temp[1]) / 10 : null,
  };
}

/** `dumpsys thermalservice` → thermal status 0 (none) … 6 (shutdown), or null when not reported. */
export function parseThermalStatus(text: string): number | null {
  const m = /^\s*Thermal Status:\s*(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** Parse `/sys/devices/system/cpu/possible` (e.g. `0-7` or `0-3,6-7`) into CPU indices. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',').filter(Boolean)) {
    const [a, b] = part.split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/**
 * Big cores from per-CPU capacity (preferred) or max frequency: every CPU above the slowest (LITTLE)
 * cluster, or all CPUs when they are all alike. `values[i]` may be null when unknown.
 */
export function bigCoresFrom(values: Array<number | null>): number[] {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return values.map((_, i) => i);
  const min = Math.min(...known);
  const max = Math.max(...known);
  // One cluster: every core is "big". Several: everything above the LITTLE cluster.
  if (min === max) return values.flatMap((v, i) => (v === max ? [i] : []));
  return values.flatMap((v, i) => (v !== null && v > min ? [i] : []));
}

/** Hex affinity mask for `taskset` (e.g. cores 4..7 → `f0`). */
export function cpuMask(cores: number[]): string {
  let mask = 0n;
  for (const c of cores) mask |= 1n << BigInt(c);
  return mask.toString(16);
}

/** Split a transcript made of `echo __PQV_S__name` separated sections. */
export function splitSections(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = text.replace(/\r\n/g, '\n').split(/^__PQV_S__(\S+)\n/m);
  for (let i = 1; i + 1 < parts.length; i += 2) out[parts[i]!] = parts[i + 1]!;
  return out;
}

/** Build DeviceFacts from the raw pieces (pure; used by tests on captured transcripts). */
export function factsFrom(
  raw: { getprop: string; meminfo: string; battery: string; thermal: string; cpus: Record<string, string> },
  cpuIndices: number[],
): DeviceFacts {
  const props = parseGetprop(raw.getprop);
  const battery = parseBattery(raw.battery);
  const num = (s: string | undefined): number | null => {
    const n = Number((s ?? '').trim());
    return s !== undefined && s.trim() !== '' && Number.isFinite(n) ? n : null;
  };
  const caps = cpuIndices.map((i) => num(raw.cpus[`cap${i}`]));
  const freqs = cpuIndices.map((i) => num(raw.cpus[`freq${i}`]));
  const useCaps = caps.some((c) => c !== null);
  const bigIdx = bigCoresFrom(useCaps ? caps : freqs);
  const bigCores = bigIdx.map((k) => cpuIndices[k]!);
  const soc = props['ro.soc.model'] || props['ro.board.platform'] || props['ro.hardware'] || 'unknown';
  return {
    manufacturer: props['ro.product.manufacturer'] ?? 'unknown',
    model: props['ro.product.model'] ?? 'unknown',
    soc,
    abis: (props['ro.product.cpu.abilist'] || props['ro.product.cpu.abi'] || '').split(',').filter(Boolean),
    androidVersion: props['ro.build.version.release'] ?? 'unknown',
    sdk: Number(props['ro.build.version.sdk'] ?? 0) || 0,
    ramBytes: parseMeminfo(raw.meminfo),
    batteryLevel: battery.level,
    batteryTempC: battery.tempC,
    thermalStatus: parseThermalStatus(raw.thermal),
    bigCores,
    bigCoreMask: cpuMask(bigCores),
    cpuCount: cpuIndices.length,
    cpuCapacity: useCaps ? caps : undefined,
    cpuMaxFreqKhz: freqs.some((f) => f !== null) ? freqs : undefined,
  };
}

/** Read all facts of a phone (two shell round trips). */
export async function readDeviceFacts(client: AdbClient, serial: string, signal?: AbortSignal): Promise<DeviceFacts> {
  const first = await runShell(
    client,
    serial,
    'getprop; echo __PQV_S__meminfo; cat /proc/meminfo; echo __PQV_S__battery; dumpsys battery; echo __PQV_S__thermal; dumpsys thermalservice; echo __PQV_S__possible; cat /sys/devices/system/cpu/possible',
    { signal, timeoutMs: 60_000 },
  );
  const sec = splitSections(`__PQV_S__getprop\n${first.output}`);
  const cpuIndices = parseCpuList(sec.possible ?? '');
  if (!sec.getprop || cpuIndices.length === 0) {
    throw new PqvError(
      'BENCH_FAILED',
      `Could not read device properties of ${serial}. Is it a normal Android phone? Output: ${first.output.slice(0, 300)}`,
      { serial },
    );
  }
  const cmds = cpuIndices.flatMap((i) => [
    `echo __PQV_S__cap${i}`,
    `cat /sys/devices/system/cpu/cpu${i}/cpu_capacity 2>/dev/null`,
    `echo __PQV_S__freq${i}`,
    `cat /sys/devices/system/cpu/cpu${i}/cpufreq/cpuinfo_max_freq 2>/dev/null`,
  ]);
  const second = await runShell(client, serial, cmds.join('; '), { signal, timeoutMs: 60_000 });
  return factsFrom(
    {
      getprop: sec.getprop,
      meminfo: sec.meminfo ?? '',
      battery: sec.battery ?? '',
      thermal: sec.thermal ?? '',
      cpus: splitSections(second.output),
    },
    cpuIndices,
  );
}
