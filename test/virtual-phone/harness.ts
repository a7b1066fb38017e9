/**
 * Test harness around the virtual phones: a private real adb server (random port, ADB_MDNS=0), connecting
 * phones to it with `adb -P PORT connect`, and a runners folder whose `onnxruntime_perf_test` is the
 * stand-in marker file.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VirtualPhone } from './adbd.js';

export const ADB_MISSING = 'adb is missing: run `apt-get install -y adb`';

/** Throw with the install hint when the adb binary is absent. */
export function assertAdbInstalled(): void {
  try {
    execFileSync('adb', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error(ADB_MISSING);
  }
}

export interface AdbServerHandle {
  port: number;
  env: Record<string, string>;
  /** `adb -P PORT …` */
  adb(args: string[], timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startAdbServer(port = 15000 + Math.floor(Math.random() * 5000)): Promise<AdbServerHandle> {
  assertAdbInstalled();
  const env = { ...process.env, ADB_MDNS: '0' } as Record<string, string>;
  const adb = (args: string[], timeoutMs = 30_000): Promise<string> =>
    new Promise((resolve, reject) => {
      execFile('adb', ['-P', String(port), ...args], { env, timeout: timeoutMs }, (err, stdout, stderr) => {
        if (err) reject(new Error(`adb ${args.join(' ')} failed: ${stdout}${stderr}${err.message}`));
        else resolve(`${stdout}${stderr}`);
      });
    });
  await adb(['start-server']);
  return {
    port,
    env,
    adb,
    stop: async () => {
      await adb(['kill-server']).catch(() => undefined);
    },
  };
}

/** `adb connect` a phone. With `wait: false` the call is fired and not awaited (offline phones make adb wait). */
export async function connectPhone(
  server: AdbServerHandle,
  phone: VirtualPhone,
  opts: { wait?: boolean } = {},
): Promise<string> {
  if (opts.wait === false) {
    const child = spawn('adb', ['-P', String(server.port), 'connect', phone.serial], {
      env: server.env,
      stdio: 'ignore',
    });
    child.unref();
    return '';
  }
  return server.adb(['connect', phone.serial]);
}

/** A runners folder for the virtual phones: <dir>/arm64-v8a/{onnxruntime_perf_test, lib*.so, VERSION}. */
export function makeRunnersDir(version = '1.22.0', abi = 'arm64-v8a'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-runners-'));
  const dir = path.join(root, abi);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'onnxruntime_perf_test'),
    `#!/system/bin/sh\n# onnxruntime_perf_test virtual stand-in version=${version}\n`,
  );
  for (const lib of ['libonnxruntime.so', 'libQnnHtp.so', 'libQnnGpu.so', 'libQnnSystem.so']) {
    fs.writeFileSync(path.join(dir, lib), `${lib} for ${abi}\n`.repeat(64));
  }
  fs.writeFileSync(path.join(dir, 'VERSION'), `${version}\n`);
  return root;
}
