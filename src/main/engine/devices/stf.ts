/**
 * DeviceFarmer STF client (REST API v1): list devices, reserve one, get its remote-connect address,
 * release it. Authenticated with an access token (`Authorization: Bearer …`). Errors are STF_FAILED.
 */
import { PqvError } from '../../../common/errors.js';
import type { AdbServerOptions } from './adb-server.js';
import { connectRemote } from './discovery.js';

export interface StfOptions {
  /** STF base URL, e.g. https://stf.example.com */
  baseUrl: string;
  /** Access token generated in STF's settings. */
  token: string;
  /** Request timeout (ms). Default 15000. */
  timeoutMs?: number;
}

export interface StfDevice {
  serial: string;
  present: boolean;
  ready: boolean;
  using: boolean;
  model?: string;
  manufacturer?: string;
  owner?: { email?: string; name?: string } | null;
  [key: string]: unknown;
}

export class StfClient {
  private readonly base: string;

  constructor(private readonly opts: StfOptions) {
    if (!opts.token)
      throw new PqvError(
        'INVALID_ARGUMENT',
        'An STF access token is required (STF → Settings → Keys → Access tokens).',
      );
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  private async call<T>(method: string, p: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1${p}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.opts.token}`,
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (e) {
      throw new PqvError(
        'STF_FAILED',
        `Cannot reach STF at ${this.base}: ${(e as Error).message}. Check the URL and network.`,
      );
    }
    const text = await res.text();
    let json: { success?: boolean; description?: string } & Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as typeof json) : {};
    } catch {
      /* non-JSON error page */
    }
    if (res.status === 401)
      throw new PqvError('STF_FAILED', 'STF rejected the access token (401). Create a new token in STF settings.');
    if (!res.ok || json.success === false) {
      throw new PqvError(
        'STF_FAILED',
        `STF ${method} ${p} failed (${res.status}): ${json.description ?? text.slice(0, 200)}`,
        { status: res.status },
      );
    }
    return json as T;
  }

  async listDevices(): Promise<StfDevice[]> {
    const r = await this.call<{ devices: StfDevice[] }>('GET', '/devices');
    return r.devices ?? [];
  }

  /** Devices currently reserved by this token's user. */
  async myDevices(): Promise<StfDevice[]> {
    const r = await this.call<{ devices: StfDevice[] }>('GET', '/user/devices');
    return r.devices ?? [];
  }

  /** Reserve a device; `timeoutMs` is how long STF keeps it reserved without activity. */
  async reserve(serial: string, timeoutMs?: number): Promise<void> {
    await this.call('POST', '/user/devices', timeoutMs ? { serial, timeout: timeoutMs } : { serial });
  }

  /** Ask STF for an adb-connectable address (`host:port`). */
  async remoteConnect(serial: string): Promise<string> {
    const r = await this.call<{ remoteConnectUrl?: string }>(
      'POST',
      `/user/devices/${encodeURIComponent(serial)}/remoteConnect`,
    );
    if (!r.remoteConnectUrl) throw new PqvError('STF_FAILED', `STF gave no remote-connect address for ${serial}.`);
    return r.remoteConnectUrl;
  }

  async remoteDisconnect(serial: string): Promise<void> {
    await this.call('DELETE', `/user/devices/${encodeURIComponent(serial)}/remoteConnect`);
  }

  async release(serial: string): Promise<void> {
    await this.call('DELETE', `/user/devices/${encodeURIComponent(serial)}`);
  }

  /** Reserve + remoteConnect + `adb connect`; returns the adb serial (`host:port`). */
  async acquire(serial: string, adb: AdbServerOptions = {}): Promise<string> {
    const devices = await this.listDevices();
    const d = devices.find((x) => x.serial === serial);
    if (!d) throw new PqvError('DEVICE_NOT_FOUND', `STF has no device ${serial}.`, { serial });
    if (!d.present || !d.ready)
      throw new PqvError('STF_FAILED', `STF device ${serial} is not ready (present=${d.present}, ready=${d.ready}).`, {
        serial,
      });
    if (d.using === false && d.owner)
      throw new PqvError(
        'STF_FAILED',
        `STF device ${serial} is used by ${d.owner.email ?? d.owner.name ?? 'someone else'}.`,
        { serial },
      );
    await this.reserve(serial);
    const url = await this.remoteConnect(serial);
    await connectRemote(url, adb);
    return url;
  }
}
