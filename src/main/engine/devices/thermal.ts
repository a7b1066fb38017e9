/**
 * Thermal hygiene: read the thermal status and battery temperature, and wait (bounded, cancellable)
 * until the phone is cool before a run; optional cooldown between runs.
 */
import type { ThermalSnapshot } from '../../../common/types/bench.js';
import { CancelledError, PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import type { AdbClient } from './adb-server.js';
import { runShell } from './device-shell.js';
import { parseBattery, parseThermalStatus, splitSections } from './facts.js';

/** When a phone counts as cool enough to benchmark. */
export interface ThermalPolicy {
  /** Highest acceptable battery temperature, °C. Default 40. */
  maxBatteryTempC?: number;
  /** Highest acceptable Android thermal status. Default 0 (none). */
  maxStatus?: number;
  /** Give up waiting after this long (ms). Default 5 minutes. */
  timeoutMs?: number;
  /** Poll interval (ms). Default 5000. */
  pollMs?: number;
  /** Extra pause after each run (ms). Default 0. */
  cooldownMs?: number;
}

export async function readThermal(client: AdbClient, serial: string, signal?: AbortSignal): Promise<ThermalSnapshot> {
  const r = await runShell(
    client,
    serial,
    'echo __PQV_S__thermal; dumpsys thermalservice; echo __PQV_S__battery; dumpsys battery',
    { signal, timeoutMs: 30_000 },
  );
  const s = splitSections(r.output);
  return { status: parseThermalStatus(s.thermal ?? ''), batteryTempC: parseBattery(s.battery ?? '').tempC };
}

export function isCool(t: ThermalSnapshot, p: ThermalPolicy = {}): boolean {
  const statusOk = t.status === null || t.status <= (p.maxStatus ?? 0);
  const tempOk = t.batteryTempC === null || t.batteryTempC < (p.maxBatteryTempC ?? 40);
  return statusOk && tempOk;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wait until the phone is cool; returns the last reading. DEVICE_THERMAL_TIMEOUT when it stays hot. */
export async function waitForCool(
  client: AdbClient,
  serial: string,
  policy: ThermalPolicy = {},
  opts: LongOperationOptions = {},
): Promise<ThermalSnapshot> {
  const deadline = Date.now() + (policy.timeoutMs ?? 300_000);
  for (;;) {
    throwIfAborted(opts.signal);
    const t = await readThermal(client, serial, opts.signal);
    if (isCool(t, policy)) return t;
    if (Date.now() >= deadline) {
      throw new PqvError(
        'DEVICE_THERMAL_TIMEOUT',
        `${serial} stayed too hot (thermal status ${t.status ?? '?'}, battery ${t.batteryTempC ?? '?'} °C). Let it cool down, remove the case or charger, then retry.`,
        { serial, ...t },
      );
    }
    opts.onProgress?.({
      stage: 'cooldown',
      done: 0,
      detail: `status ${t.status ?? '?'}, battery ${t.batteryTempC ?? '?'} °C`,
      device: serial,
    });
    await sleep(Math.min(policy.pollMs ?? 5000, Math.max(0, deadline - Date.now())), opts.signal);
  }
}

export { sleep as cancellableSleep };
