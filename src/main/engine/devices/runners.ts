/**
 * Registry of on-device benchmark runners. A runner directory holds, per ABI,
 * `<dir>/<abi>/onnxruntime_perf_test` plus its shared libraries (`libonnxruntime.so`, QNN's
 * `libQnn*.so`, …) and an optional `VERSION` sidecar with the ONNX Runtime version. The directory is, in
 * order: the explicit option, the `PQV_RUNNERS` environment variable, the user settings (`runnersDir`), then
 * `runners/` in the data folder when it exists. See docs/runners.md.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PqvError, type ErrorCode } from '../../../common/errors.js';
import type { EffectiveValue, UserSettings } from '../../../common/types/settings.js';
import { pqvHome, runnersDir as defaultRunnersDir } from '../store/paths.js';
import { readSettings } from '../store/settings.js';

export const PERF_TEST_BINARY = 'onnxruntime_perf_test';

export interface RunnerFile {
  name: string;
  localPath: string;
  size: number;
  sha256: string;
  executable: boolean;
}

/** A coded warning that does not stop the benchmark. */
export interface RunnerWarning {
  code: ErrorCode;
  message: string;
}

export interface Runner {
  abi: string;
  dir: string;
  files: RunnerFile[];
  /** ONNX Runtime version from the VERSION sidecar, or null when unknown. */
  version: string | null;
  /** Hash over all file hashes: the runner's folder name on the device. */
  contentHash: string;
  warnings: RunnerWarning[];
}

/** Where runners are configured. */
export interface RunnerOptions {
  /** Runner directory. Default: `PQV_RUNNERS`, else the settings' `runnersDir`, else `<data folder>/runners`. */
  runnersDir?: string;
}

/**
 * The runners folder in effect without an explicit option: `PQV_RUNNERS`, else the settings, else
 * `<data folder>/runners` (which may not exist). `settings` defaults to the data folder's settings file.
 */
export function runnersRoot(env: NodeJS.ProcessEnv = process.env, settings?: UserSettings): EffectiveValue<string> {
  if (env.PQV_RUNNERS) return { value: env.PQV_RUNNERS, source: 'env', envVar: 'PQV_RUNNERS' };
  const s = settings ?? readSettings(pqvHome(env));
  if (s.runnersDir) return { value: s.runnersDir, source: 'settings' };
  return { value: defaultRunnersDir(pqvHome(env)), source: 'default' };
}

/** Files of an ABI folder that are pushed to the phone: the binary and every `*.so`, sorted. */
export async function runnerFileNames(dir: string): Promise<string[]> {
  const names = (await fs.promises.readdir(dir))
    .filter((n) => n === PERF_TEST_BINARY || /\.so(\.\d+)*$/.test(n))
    .sort();
  const files: string[] = [];
  for (const name of names) {
    if ((await fs.promises.stat(path.join(dir, name))).isFile()) files.push(name);
  }
  return files;
}

/** ONNX Runtime version from the ABI folder's `VERSION` file, or null when absent or empty. */
export async function readRunnerVersion(dir: string): Promise<string | null> {
  const versionFile = path.join(dir, 'VERSION');
  return fs.existsSync(versionFile) ? (await fs.promises.readFile(versionFile, 'utf8')).trim() || null : null;
}

const hashCache = new Map<string, string>();

/** sha256 of a file, cached by path+size+mtime. */
export async function sha256File(p: string): Promise<string> {
  const st = await fs.promises.stat(p);
  const key = `${p}:${st.size}:${st.mtimeMs}`;
  const hit = hashCache.get(key);
  if (hit) return hit;
  const h = crypto.createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    fs.createReadStream(p)
      .on('data', (c) => h.update(c))
      .on('end', () => resolve())
      .on('error', reject);
  });
  const hex = h.digest('hex');
  hashCache.set(key, hex);
  return hex;
}

/** Versions whose Android perf_test is known to mis-parse its flags. */
export function versionWarning(version: string | null): RunnerWarning | null {
  if (version === null) {
    return {
      code: 'RUNNER_UNSUPPORTED',
      message:
        'The runner has no VERSION file; its ONNX Runtime version is unknown. Add one (see docs/runners.md) so known-broken builds can be detected.',
    };
  }
  if (version.trim() === '1.23.0') {
    return {
      code: 'RUNNER_UNSUPPORTED',
      message:
        'onnxruntime_perf_test 1.23.0 built for Android ignores its command-line flags (abseil flag names are stripped on mobile builds). Use 1.22.x or 1.23.1 and later.',
    };
  }
  return null;
}

/** Find the runner for the first ABI of `abis` that has one. */
export async function resolveRunner(abis: string[], opts: RunnerOptions = {}): Promise<Runner> {
  const configured = opts.runnersDir ? { value: opts.runnersDir, source: 'option' as const } : runnersRoot(process.env);
  const root = configured.value;
  if (configured.source === 'default' && !fs.existsSync(root)) {
    throw new PqvError(
      'RUNNER_MISSING',
      `No benchmark runner is configured. Choose a runners folder in Settings (or run \`pqv settings --runners DIR\`, or set PQV_RUNNERS), laid out as <abi>/onnxruntime_perf_test, or put it at ${root}; see docs/runners.md.`,
      { root },
    );
  }
  for (const abi of abis) {
    const dir = path.join(root, abi);
    const bin = path.join(dir, PERF_TEST_BINARY);
    if (!fs.existsSync(bin)) continue;
    const files: RunnerFile[] = [];
    for (const name of await runnerFileNames(dir)) {
      const localPath = path.join(dir, name);
      files.push({
        name,
        localPath,
        size: (await fs.promises.stat(localPath)).size,
        sha256: await sha256File(localPath),
        executable: name === PERF_TEST_BINARY,
      });
    }
    const version = await readRunnerVersion(dir);
    const contentHash = crypto
      .createHash('sha256')
      .update(files.map((f) => `${f.name}:${f.sha256}\n`).join(''))
      .digest('hex')
      .slice(0, 16);
    const warning = versionWarning(version);
    return { abi, dir, files, version, contentHash, warnings: warning ? [warning] : [] };
  }
  throw new PqvError(
    'RUNNER_MISSING',
    `No runner for this phone's ABIs (${abis.join(', ') || 'none reported'}) under ${root}. Add ${root}/<abi>/onnxruntime_perf_test and its libraries; see docs/runners.md.`,
    { abis, root },
  );
}
