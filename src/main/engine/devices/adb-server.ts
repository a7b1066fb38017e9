/**
 * Which adb server to talk to, and making sure it runs. Address precedence: explicit options, then
 * `PQV_ADB_PORT`, then `ADB_SERVER_SOCKET` (`tcp:HOST:PORT` or `tcp:PORT`), then the user settings
 * (`adbHost`, `adbPort`), then 127.0.0.1:5037.
 * A missing local server is started with `adb -P PORT start-server`.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import adbkitModule from '@devicefarmer/adbkit';
import type { Client, DeviceClient } from '@devicefarmer/adbkit';
import { PqvError } from '../../../common/errors.js';
import type { UserSettings } from '../../../common/types/settings.js';
import { pqvHome } from '../store/paths.js';
import { readSettings } from '../store/settings.js';

export type AdbClient = Client;

interface AdbStatic {
  createClient(o: { host?: string; port?: number; bin?: string }): Client;
}
// adbkit is CommonJS: Node's ESM loader hands over `module.exports` ({ Adb, … }), bundlers its `default` (Adb).
const adbkitExports = adbkitModule as unknown as { Adb?: AdbStatic } & Partial<AdbStatic>;
const Adb: AdbStatic = adbkitExports.Adb ?? (adbkitExports as AdbStatic);
export type AdbDevice = DeviceClient;

/** Where the adb server is. */
export interface AdbServerOptions {
  /** Server host. Default from ADB_SERVER_SOCKET, else the settings, else 127.0.0.1. */
  host?: string;
  /** Server port. Default from PQV_ADB_PORT / ADB_SERVER_SOCKET, else the settings, else 5037. */
  port?: number;
  /** adb executable used to start a local server. Default `adb` on PATH. */
  adbPath?: string;
  /** Extra environment for a server this app starts (e.g. `{ ADB_MDNS: '0' }`). */
  env?: Record<string, string>;
}

export interface ResolvedAdbServer {
  host: string;
  port: number;
  adbPath: string;
  env?: Record<string, string>;
}

/**
 * The adb server address in effect. `settings` defaults to the settings file of the data folder named by `env`.
 * `ADB_SERVER_SOCKET` replaces the whole address (host 127.0.0.1 when it names a port only).
 */
export function resolveAdbServer(
  opts: AdbServerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  settings: UserSettings = readSettings(pqvHome(env)),
): ResolvedAdbServer {
  let host = settings.adbHost ?? '127.0.0.1';
  let port = settings.adbPort ?? 5037;
  const sock = env.ADB_SERVER_SOCKET;
  if (sock) {
    const m = /^tcp:(?:(.+):)?(\d+)$/.exec(sock.trim());
    if (!m)
      throw new PqvError(
        'INVALID_ARGUMENT',
        `ADB_SERVER_SOCKET must look like tcp:HOST:PORT or tcp:PORT (got "${sock}").`,
      );
    host = m[1] || '127.0.0.1';
    port = Number(m[2]);
  }
  if (env.PQV_ADB_PORT) {
    const p = Number(env.PQV_ADB_PORT);
    if (!Number.isInteger(p) || p <= 0 || p > 65535)
      throw new PqvError('INVALID_ARGUMENT', `PQV_ADB_PORT must be a port number (got "${env.PQV_ADB_PORT}").`);
    port = p;
  }
  if (opts.host) host = opts.host;
  if (opts.port) port = opts.port;
  return { host, port, adbPath: opts.adbPath ?? env.PQV_ADB_PATH ?? 'adb', env: opts.env };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const isLocal = (host: string): boolean => host === '127.0.0.1' || host === 'localhost' || host === '::1';

/** Make sure the adb server answers; start a local one when it does not. */
export async function ensureAdbServer(opts: AdbServerOptions = {}): Promise<ResolvedAdbServer> {
  const s = resolveAdbServer(opts);
  if (await canConnect(s.host, s.port)) return s;
  if (!isLocal(s.host)) {
    throw new PqvError(
      'ADB_UNAVAILABLE',
      `No adb server answers at ${s.host}:${s.port}. Start it there (adb -a -P ${s.port} server nodaemon) or fix the address.`,
    );
  }
  await new Promise<void>((resolve, reject) => {
    execFile(
      s.adbPath,
      ['-P', String(s.port), 'start-server'],
      { env: { ...process.env, ...s.env }, timeout: 30_000 },
      (err, _out, stderr) => {
        if (!err) return resolve();
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(
            new PqvError(
              'ADB_UNAVAILABLE',
              'adb is missing: install Android platform-tools (e.g. `apt-get install -y adb`) or set PQV_ADB_PATH.',
            ),
          );
        }
        reject(
          new PqvError(
            'ADB_UNAVAILABLE',
            `Could not start the adb server on port ${s.port}: ${String(stderr || err.message).trim()}`,
          ),
        );
      },
    );
  });
  return s;
}

/** An adbkit client for the server (started if needed). */
export async function adbClient(opts: AdbServerOptions = {}): Promise<AdbClient> {
  const s = await ensureAdbServer(opts);
  return Adb.createClient({ host: s.host, port: s.port, bin: s.adbPath });
}

/** Map adbkit/adb errors to coded errors with a next step. */
export function mapAdbError(e: unknown, serial: string): unknown {
  if (e instanceof PqvError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/device unauthorized/i.test(msg)) {
    return new PqvError(
      'DEVICE_UNAUTHORIZED',
      `${serial} is unauthorized: accept the USB-debugging prompt on the phone (tick "Always allow"), then retry.`,
      { serial },
    );
  }
  if (/device offline/i.test(msg)) {
    return new PqvError(
      'DEVICE_OFFLINE',
      `${serial} is offline: reconnect the cable (or run \`adb reconnect\`), unlock the phone and retry.`,
      { serial },
    );
  }
  if (/device '.*' not found|device not found|no devices/i.test(msg)) {
    return new PqvError(
      'DEVICE_NOT_FOUND',
      `${serial} is not connected. Plug it in (or \`adb connect\` it) and check \`pqv devices\`.`,
      { serial },
    );
  }
  if (/ECONNRESET|EPIPE|closed|Premature end|ended|ECONNREFUSED/i.test(msg)) {
    return new PqvError(
      'DEVICE_DISCONNECTED',
      `Lost the connection to ${serial} (${msg}). Check the cable or network link and retry.`,
      { serial },
    );
  }
  return e;
}
