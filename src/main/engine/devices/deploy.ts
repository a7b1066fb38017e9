/**
 * Deployment to a phone: everything lives under /data/local/tmp/pqv/. Models go to
 * `models/<sha256>/<file name>`, runners to `runners/<content hash>/`; both are pushed to a `.part`
 * folder first and renamed when complete, so an existing final folder is a cache hit. Push progress comes
 * from adbkit's sync transfer events; binaries get mode 0755.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CancelledError, PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { mapAdbError, type AdbClient } from './adb-server.js';
import { runShell } from './device-shell.js';
import { shellJoin } from './shell-quote.js';
import { sha256File, type Runner } from './runners.js';

export const DEVICE_ROOT = '/data/local/tmp/pqv';

export interface PushOptions extends LongOperationOptions {
  mode?: number;
}

function mapPushError(e: unknown, serial: string): unknown {
  const msg = e instanceof Error ? e.message : String(e);
  if (/No space left on device/i.test(msg)) {
    return new PqvError(
      'DEVICE_NO_SPACE',
      `${serial} has no space left in /data/local/tmp. Free some storage on the phone (or run \`pqv devices --clean\`) and retry.`,
      { serial },
    );
  }
  return mapAdbError(e, serial);
}

/** Push one file with progress. */
export async function pushFile(
  client: AdbClient,
  serial: string,
  localPath: string,
  remotePath: string,
  opts: PushOptions = {},
): Promise<void> {
  throwIfAborted(opts.signal);
  const total = (await fs.promises.stat(localPath)).size;
  const detail = path.basename(localPath);
  let transfer: Awaited<ReturnType<ReturnType<AdbClient['getDevice']>['push']>>;
  try {
    // A large read buffer lets adbkit emit many 64 KiB DATA packets per read event.
    transfer = await client
      .getDevice(serial)
      .push(fs.createReadStream(localPath, { highWaterMark: 1024 * 1024 }), remotePath, opts.mode ?? 0o644);
  } catch (e) {
    throw mapPushError(e, serial);
  }
  opts.onProgress?.({ stage: 'push', done: 0, total, detail, device: serial });
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      transfer.cancel();
      reject(new CancelledError());
    };
    if (opts.signal?.aborted) {
      onAbort();
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    transfer.on('progress', (s: { bytesTransferred: number }) =>
      opts.onProgress?.({ stage: 'push', done: s.bytesTransferred, total, detail, device: serial }),
    );
    transfer.on('end', () => {
      if (done) return;
      done = true;
      opts.signal?.removeEventListener('abort', onAbort);
      opts.onProgress?.({ stage: 'push', done: total, total, detail, device: serial });
      resolve();
    });
    transfer.on('error', (e: unknown) => {
      if (done) return;
      done = true;
      opts.signal?.removeEventListener('abort', onAbort);
      reject(mapPushError(e, serial));
    });
  });
}

/** Size of a device file via sync STAT, or null when absent. */
export async function remoteSize(client: AdbClient, serial: string, remotePath: string): Promise<number | null> {
  try {
    const st = await client.getDevice(serial).stat(remotePath);
    return st.size;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/ENOENT|No such file/i.test(msg)) return null;
    throw mapAdbError(e, serial);
  }
}

async function sh(client: AdbClient, serial: string, args: string[][], signal?: AbortSignal): Promise<void> {
  const cmd = args.map((a) => shellJoin(a)).join(' && ');
  const r = await runShell(client, serial, cmd, { signal, timeoutMs: 60_000 });
  if (r.exitCode !== 0) {
    if (/No space left/i.test(r.output)) throw mapPushError(new Error(r.output), serial);
    throw new PqvError(
      'BENCH_FAILED',
      `A file operation on ${serial} failed (exit ${r.exitCode}): ${r.output.trim().slice(0, 300)}`,
      { serial },
    );
  }
}

export interface DeployResult {
  remotePath: string;
  /** True when the file was already on the device. */
  cached: boolean;
}

/** Push a model (content-addressed); returns its device path. */
export async function deployModel(
  client: AdbClient,
  serial: string,
  modelPath: string,
  opts: LongOperationOptions = {},
): Promise<DeployResult> {
  const sha = await sha256File(modelPath);
  const name = path.basename(modelPath);
  const size = (await fs.promises.stat(modelPath)).size;
  const finalDir = `${DEVICE_ROOT}/models/${sha}`;
  const remotePath = `${finalDir}/${name}`;
  if ((await remoteSize(client, serial, remotePath)) === size) {
    opts.onProgress?.({ stage: 'push', done: size, total: size, detail: `${name} (cached)`, device: serial });
    return { remotePath, cached: true };
  }
  const partDir = `${finalDir}.part`;
  await sh(client, serial, [['rm', '-rf', partDir]], opts.signal);
  await pushFile(client, serial, modelPath, `${partDir}/${name}`, { ...opts, mode: 0o644 });
  await sh(
    client,
    serial,
    [
      ['rm', '-rf', finalDir],
      ['mv', partDir, finalDir],
    ],
    opts.signal,
  );
  return { remotePath, cached: false };
}

/** Push a runner once per device (cached by its content hash); returns the device folder. */
export async function deployRunner(
  client: AdbClient,
  serial: string,
  runner: Runner,
  opts: LongOperationOptions = {},
): Promise<DeployResult> {
  const finalDir = `${DEVICE_ROOT}/runners/${runner.abi}-${runner.contentHash}`;
  const bin = runner.files.find((f) => f.executable);
  if (bin && (await remoteSize(client, serial, `${finalDir}/${bin.name}`)) === bin.size) {
    return { remotePath: finalDir, cached: true };
  }
  const partDir = `${finalDir}.part`;
  await sh(client, serial, [['rm', '-rf', partDir]], opts.signal);
  for (const f of runner.files) {
    await pushFile(client, serial, f.localPath, `${partDir}/${f.name}`, {
      ...opts,
      mode: f.executable ? 0o755 : 0o644,
    });
  }
  const execs = runner.files.filter((f) => f.executable).map((f) => `${partDir}/${f.name}`);
  const steps: string[][] = [];
  if (execs.length) steps.push(['chmod', '755', ...execs]);
  steps.push(['rm', '-rf', finalDir], ['mv', partDir, finalDir]);
  await sh(client, serial, steps, opts.signal);
  return { remotePath: finalDir, cached: false };
}

/** Remove everything this app put on the phone (or one sub-folder of it). */
export async function cleanupDevice(
  client: AdbClient,
  serial: string,
  opts: { signal?: AbortSignal; subPath?: string } = {},
): Promise<void> {
  const target = opts.subPath ? `${DEVICE_ROOT}/${opts.subPath.replace(/^\/+/, '')}` : DEVICE_ROOT;
  if (!target.startsWith(`${DEVICE_ROOT}`) || target.includes('/../')) {
    throw new PqvError('INVALID_ARGUMENT', `Refusing to delete ${target}: only ${DEVICE_ROOT} is ours.`);
  }
  await sh(client, serial, [['rm', '-rf', target]], opts.signal);
}
