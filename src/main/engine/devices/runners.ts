/**
 * Registry of on-device benchmark runners. A runner directory holds, per ABI,
 * `<dir>/<abi>/onnxruntime_perf_test` plus its shared libraries (`libonnxruntime.so`, QNN's
 * `libQnn*.so`, …) and an optional `VERSION` sidecar with the ONNX Runtime version. The directory comes
 * from the settings (`runnersDir`) or the `PQV_RUNNERS` environment variable. See docs/runners.md.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PqvError, type ErrorCode } from '../../../common/errors.js';

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
  /** Runner directory (settings). Default: the `PQV_RUNNERS` environment variable. */
  runnersDir?: string;
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
  const root = opts.runnersDir ?? process.env.PQV_RUNNERS;
  if (!root) {
    throw new PqvError(
      'RUNNER_MISSING',
      'No benchmark runner is configured. Set PQV_RUNNERS (or the runners folder in the settings) to a folder laid out as <abi>/onnxruntime_perf_test; see docs/runners.md.',
    );
  }
  for (const abi of abis) {
    const dir = path.join(root, abi);
    const bin = path.join(dir, PERF_TEST_BINARY);
    if (!fs.existsSync(bin)) continue;
    const names = (await fs.promises.readdir(dir))
      .filter((n) => n === PERF_TEST_BINARY || /\.so(\.\d+)*$/.test(n))
      .sort();
    const files: RunnerFile[] = [];
    for (const name of names) {
      const localPath = path.join(dir, name);
      const st = await fs.promises.stat(localPath);
      if (!st.isFile()) continue;
      files.push({
        name,
        localPath,
        size: st.size,
        sha256: await sha256File(localPath),
        executable: name === PERF_TEST_BINARY,
      });
    }
    const versionFile = path.join(dir, 'VERSION');
    const version = fs.existsSync(versionFile)
      ? (await fs.promises.readFile(versionFile, 'utf8')).trim() || null
      : null;
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
