/**
 * Device discovery: list phones of one or more adb servers with a next step for each unusable state,
 * track hot-plug (adbkit `trackDevices`, seeded with a snapshot so no early event is lost), and
 * connect remote devices (`adb connect host:port`).
 */
import os from 'node:os';
import { EventEmitter } from 'node:events';
import type { DeviceEvent, DeviceInfo, DeviceState } from '../../../common/types/devices.js';
import { PqvError } from '../../../common/errors.js';
import { adbClient, resolveAdbServer, type AdbClient, type AdbServerOptions } from './adb-server.js';

/** What the user should do for a device state. */
export function hintFor(state: DeviceState): string | undefined {
  switch (state) {
    case 'unauthorized':
      return 'Accept the USB-debugging prompt on the phone (tick "Always allow"); if no prompt shows, revoke USB-debugging authorizations in Developer options and reconnect.';
    case 'offline':
      return 'The phone is connected but not answering: unlock it, reconnect the cable (or run `adb reconnect`), and check that USB debugging is still on.';
    case 'unknown':
      return 'adb reports an unknown state: reconnect the phone or restart the adb server (`adb kill-server`).';
    default:
      return undefined;
  }
}

function toState(type: string): DeviceState {
  if (type === 'device' || type === 'emulator') return 'device';
  if (type === 'unauthorized' || type === 'offline') return type;
  return 'unknown';
}

function toInfo(d: { id: string; type: string }, server: string): DeviceInfo {
  const state = toState(d.type);
  const hint = hintFor(state);
  return hint ? { serial: d.id, state, hint, server } : { serial: d.id, state, server };
}

/** This computer as a benchmark target. */
export function hostDevice(): DeviceInfo {
  const cpus = os.cpus();
  return {
    serial: 'host',
    state: 'host',
    model: cpus[0]?.model.trim() ?? os.arch(),
    facts: {
      manufacturer: os.platform(),
      model: cpus[0]?.model.trim() ?? 'unknown',
      soc: os.arch(),
      abis: [os.arch()],
      androidVersion: '',
      sdk: 0,
      ramBytes: os.totalmem(),
      batteryLevel: null,
      batteryTempC: null,
      thermalStatus: null,
      bigCores: cpus.map((_, i) => i),
      cpuCount: cpus.length,
    },
  };
}

/** List the phones of one or more adb servers (each started if absent). */
export async function listPhones(servers: AdbServerOptions[] = [{}]): Promise<DeviceInfo[]> {
  const all: DeviceInfo[] = [];
  for (const opts of servers) {
    const s = resolveAdbServer(opts);
    const client = await adbClient(opts);
    const devices = await client.listDevices();
    for (const d of devices) all.push(toInfo(d, `${s.host}:${s.port}`));
  }
  return all;
}

/** `adb connect host:port` through the server. */
export async function connectRemote(hostPort: string, opts: AdbServerOptions = {}): Promise<string> {
  const m = /^(.+):(\d+)$/.exec(hostPort);
  if (!m) throw new PqvError('INVALID_ARGUMENT', `Expected HOST:PORT for a remote device (got "${hostPort}").`);
  const client = await adbClient(opts);
  try {
    return await client.connect(m[1]!, Number(m[2]));
  } catch (e) {
    throw new PqvError(
      'DEVICE_NOT_FOUND',
      `Could not connect to ${hostPort}: ${(e as Error).message}. Check the address and that \`adb tcpip\` is enabled on the phone.`,
      { hostPort },
    );
  }
}

/** Options of a DeviceWatcher. */
export interface DeviceWatcherOptions extends AdbServerOptions {
  /**
   * Also re-read the device list this often (ms; 0 disables). adb's tracker does not announce every
   * state change (e.g. a TCP device going from offline to unauthorized), so a slow poll fills the gap.
   * Default 2000.
   */
  pollMs?: number;
}

/**
 * Live device tracking. Emits `event` (DeviceEvent) for every add/remove/state change and `error`.
 * The current list is read right after the tracker's listeners are attached, and both sources (plus a
 * slow poll) are merged into one map, so each change is reported once and none is missed.
 */
export class DeviceWatcher extends EventEmitter {
  private readonly known = new Map<string, DeviceInfo>();
  private tracker: { end(): unknown } | null = null;
  private poller: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: DeviceWatcherOptions = {}) {
    super();
  }

  get devices(): DeviceInfo[] {
    return [...this.known.values()];
  }

  async start(): Promise<this> {
    const s = resolveAdbServer(this.opts);
    const server = `${s.host}:${s.port}`;
    const client: AdbClient = await adbClient(this.opts);
    const tracker = await client.trackDevices();
    this.tracker = tracker;
    tracker.on('add', (d: { id: string; type: string }) => this.update(toInfo(d, server)));
    tracker.on('change', (d: { id: string; type: string }) => this.update(toInfo(d, server)));
    tracker.on('remove', (d: { id: string; type: string }) => this.remove(d.id));
    tracker.on('error', (e: unknown) => {
      if (!this.stopped) this.emit('error', e);
    });
    for (const d of await client.listDevices()) this.update(toInfo(d, server));
    const pollMs = this.opts.pollMs ?? 2000;
    if (pollMs > 0) {
      let busy = false;
      this.poller = setInterval(() => {
        if (busy || this.stopped) return;
        busy = true;
        client
          .listDevices()
          .then((list: Array<{ id: string; type: string }>) => {
            if (this.stopped) return;
            const seen = new Set(list.map((d) => d.id));
            for (const d of list) this.update(toInfo(d, server));
            for (const serial of [...this.known.keys()]) if (!seen.has(serial)) this.remove(serial);
          })
          .catch((e: unknown) => {
            if (!this.stopped) this.emit('error', e);
          })
          .finally(() => (busy = false));
      }, pollMs);
      this.poller.unref();
    }
    return this;
  }

  private update(info: DeviceInfo): void {
    const old = this.known.get(info.serial);
    if (old && old.state === info.state) return;
    this.known.set(info.serial, info);
    const ev: DeviceEvent = { type: old ? 'change' : 'add', device: info };
    this.emit('event', ev);
  }

  private remove(serial: string): void {
    const old = this.known.get(serial);
    if (!old) return;
    this.known.delete(serial);
    const ev: DeviceEvent = { type: 'remove', device: old };
    this.emit('event', ev);
  }

  /** Resolve when `pred` holds for a device event (or the current list), reject after timeoutMs. */
  waitFor(
    pred: (d: DeviceInfo | undefined, serial: string) => boolean,
    serial: string,
    timeoutMs = 20_000,
  ): Promise<void> {
    if (pred(this.known.get(serial), serial)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onEvent = (): void => {
        if (pred(this.known.get(serial), serial)) {
          clearTimeout(timer);
          this.off('event', onEvent);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.off('event', onEvent);
        reject(
          new PqvError(
            'DEVICE_NOT_FOUND',
            `Timed out waiting for ${serial} (state now: ${this.known.get(serial)?.state ?? 'absent'}).`,
            { serial },
          ),
        );
      }, timeoutMs);
      this.on('event', onEvent);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.tracker?.end();
    this.tracker = null;
  }
}
