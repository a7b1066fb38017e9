/**
 * Checks a runners folder before any phone is involved: which ABI folders it has, whether each holds
 * `onnxruntime_perf_test`, which libraries would be pushed (and so whether QNN's GPU/NPU backends are
 * possible), the ONNX Runtime version and coded warnings. File selection and version rules are the
 * runner registry's (runners.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PqvError } from '../../../common/errors.js';
import type { RunnerAbiCheck, RunnerCheckWarning, RunnersInspection } from '../../../common/types/settings.js';
import { PERF_TEST_BINARY, readRunnerVersion, runnerFileNames, versionWarning } from './runners.js';

/** Android ABI names a phone can report in `ro.product.cpu.abilist`. */
export const ANDROID_ABIS = ['arm64-v8a', 'armeabi-v7a', 'x86_64', 'x86'] as const;

const HTP_SKEL = /^libQnnHtpV\d+Skel\.so$/;

async function checkAbi(root: string, abi: string): Promise<RunnerAbiCheck> {
  const dir = path.join(root, abi);
  const names = await runnerFileNames(dir);
  const binary = names.includes(PERF_TEST_BINARY);
  const libs = names.filter((n) => n !== PERF_TEST_BINARY);
  const version = await readRunnerVersion(dir);
  const qnn = { gpu: libs.includes('libQnnGpu.so'), npu: libs.includes('libQnnHtp.so') };
  const warnings: RunnerCheckWarning[] = [];
  if (!(ANDROID_ABIS as readonly string[]).includes(abi)) {
    warnings.push({
      code: 'RUNNER_MISSING',
      message: `"${abi}" is not an Android ABI name (${ANDROID_ABIS.join(', ')}); no phone will use this folder. Rename it.`,
    });
  }
  if (!binary) {
    warnings.push({
      code: 'RUNNER_MISSING',
      message: `No ${PERF_TEST_BINARY} in ${dir}: phones with this ABI cannot run benchmarks. Build it for ${abi} (see docs/runners.md) and copy it here.`,
    });
  } else {
    const w = versionWarning(version);
    if (w) warnings.push(w);
  }
  if (qnn.npu && !libs.some((n) => HTP_SKEL.test(n))) {
    warnings.push({
      code: 'BACKEND_UNSUPPORTED',
      message:
        'libQnnHtp.so is here but no libQnnHtpV<NN>Skel.so: the NPU backend needs the skel library matching the phone’s Hexagon version (from $QNN_SDK_ROOT/lib/hexagon-v<NN>/unsigned/).',
    });
  }
  return { abi, binary, libs, version, qnn, warnings };
}

/**
 * Check the runners folder `dir`. Throws RUNNER_MISSING when the folder does not exist, is not a folder,
 * or holds the binary directly instead of in ABI sub-folders.
 */
export async function inspectRunners(dir: string): Promise<RunnersInspection> {
  const root = path.resolve(dir);
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(root);
  } catch {
    throw new PqvError(
      'RUNNER_MISSING',
      `No runners folder at ${root}. Check the path, or create it with one sub-folder per ABI (e.g. arm64-v8a/${PERF_TEST_BINARY}); see docs/runners.md.`,
      { dir: root },
    );
  }
  if (!st.isDirectory()) {
    throw new PqvError(
      'RUNNER_MISSING',
      `${root} is a file, not a folder. Choose the folder that holds the ABI folders.`,
      {
        dir: root,
      },
    );
  }
  const entries = await fs.promises.readdir(root, { withFileTypes: true });
  const abis = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (abis.length === 0 && entries.some((e) => e.name === PERF_TEST_BINARY)) {
    throw new PqvError(
      'RUNNER_MISSING',
      `${root} holds ${PERF_TEST_BINARY} directly. Move it and its libraries into an ABI sub-folder, e.g. ${path.join(root, 'arm64-v8a')}.`,
      { dir: root },
    );
  }
  return { dir: root, abis: await Promise.all(abis.map((abi) => checkAbi(root, abi))) };
}
