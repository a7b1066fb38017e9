import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectRunners } from '../../../src/main/engine/devices/runner-check.js';
import { makeRunners } from './runners-fixture.js';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-runner-check-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('inspectRunners', () => {
  it('lists every ABI folder with binary, libraries, QNN backends, version and warnings', async () => {
    const root = makeRunners(path.join(tmp, 'runners'), {
      'arm64-v8a': [
        'onnxruntime_perf_test',
        'libonnxruntime.so',
        'libQnnHtp.so',
        'libQnnHtpV75Skel.so',
        'libQnnGpu.so',
        'README.txt',
        'VERSION=1.22.2',
      ],
      'armeabi-v7a': ['onnxruntime_perf_test', 'VERSION=1.23.0'],
      x86_64: ['libonnxruntime.so.1'],
      docs: ['onnxruntime_perf_test', 'VERSION=1.22.2'],
    });
    const r = await inspectRunners(root);
    expect(r.dir).toBe(root);
    expect(r.abis.map((a) => a.abi)).toEqual(['arm64-v8a', 'armeabi-v7a', 'docs', 'x86_64']);
    const [arm64, v7a, docs, x64] = r.abis;
    expect(arm64).toEqual({
      abi: 'arm64-v8a',
      binary: true,
      libs: ['libQnnGpu.so', 'libQnnHtp.so', 'libQnnHtpV75Skel.so', 'libonnxruntime.so'],
      version: '1.22.2',
      qnn: { gpu: true, npu: true },
      warnings: [],
    });
    expect(v7a).toMatchObject({ binary: true, libs: [], version: '1.23.0', qnn: { gpu: false, npu: false } });
    expect(v7a?.warnings).toEqual([expect.objectContaining({ code: 'RUNNER_UNSUPPORTED' })]);
    expect(v7a?.warnings[0]?.message).toContain('1.23.0');
    expect(docs?.warnings.map((w) => w.code)).toEqual(['RUNNER_MISSING']);
    expect(docs?.warnings[0]?.message).toContain('not an Android ABI');
    // No binary: no version warning, but the missing tool is reported.
    expect(x64).toMatchObject({ binary: false, libs: ['libonnxruntime.so.1'], version: null });
    expect(x64?.warnings.map((w) => w.code)).toEqual(['RUNNER_MISSING']);
  });

  it('warns when the HTP library has no skel, and when the version is unknown', async () => {
    const root = makeRunners(path.join(tmp, 'r'), { 'arm64-v8a': ['onnxruntime_perf_test', 'libQnnHtp.so'] });
    const [a] = (await inspectRunners(root)).abis;
    expect(a?.qnn).toEqual({ gpu: false, npu: true });
    expect(a?.warnings.map((w) => w.code)).toEqual(['RUNNER_UNSUPPORTED', 'BACKEND_UNSUPPORTED']);
    expect(a?.warnings[0]?.message).toContain('no VERSION file');
    expect(a?.warnings[1]?.message).toContain('Skel');
  });

  it('gives coded errors for a missing folder, a file, and a binary outside an ABI folder', async () => {
    await expect(inspectRunners(path.join(tmp, 'missing'))).rejects.toMatchObject({
      code: 'RUNNER_MISSING',
      message: expect.stringContaining(`No runners folder at ${path.join(tmp, 'missing')}`),
    });
    fs.writeFileSync(path.join(tmp, 'file'), 'x');
    await expect(inspectRunners(path.join(tmp, 'file'))).rejects.toMatchObject({
      code: 'RUNNER_MISSING',
      message: expect.stringContaining('not a folder'),
    });
    const flat = path.join(tmp, 'flat');
    fs.mkdirSync(flat);
    fs.writeFileSync(path.join(flat, 'onnxruntime_perf_test'), 'x');
    await expect(inspectRunners(flat)).rejects.toMatchObject({
      code: 'RUNNER_MISSING',
      message: expect.stringContaining('arm64-v8a'),
    });
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    expect(await inspectRunners(empty)).toEqual({ dir: empty, abis: [] });
  });
});
