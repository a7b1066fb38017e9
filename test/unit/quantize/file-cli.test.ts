/**
 * File-level quantization and the `pqv quantize` command: coded errors for bad input (already quantized,
 * float16, empty calibration folder), ORT-format export, preprocessing metadata carried over, JSON report
 * with sizes and the per-layer sensitivity table.
 */
import { mkdir, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/main/cli/main.js';
import { parseKeepFloat } from '../../../src/main/cli/commands/quantize.js';
import { PREPROCESS_METADATA_KEY } from '../../../src/main/engine/evaluate/preprocess.js';
import { loadModel } from '../../../src/main/engine/onnx/model-io.js';
import { createSession } from '../../../src/main/engine/onnx/session.js';
import { quantizeFile } from '../../../src/main/engine/quantize/quantize-file.js';
import { pickKeepFloat } from '../../../src/main/engine/quantize/sensitivity.js';
import type { QuantizeReport } from '../../../src/main/engine/quantize/types.js';
import { DEMO_CALIB, DEMO_MODEL, FIXTURE_DIR } from './helpers.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pqv-quant-'));
});
afterEach(() => {
  vi.restoreAllMocks();
});

const fixture = (n: string) => join(FIXTURE_DIR, `${n}.onnx`);

describe('bad input', () => {
  it('an already int8-quantized model → QUANT_ALREADY_QUANTIZED', async () => {
    const out = join(dir, 'dyn.onnx');
    await quantizeFile(fixture('timm-vit-op17'), out, { mode: 'int8-dynamic' });
    const again = quantizeFile(out, join(dir, 'dyn2.onnx'), { mode: 'int8-dynamic' });
    await expect(again).rejects.toMatchObject({ code: 'QUANT_ALREADY_QUANTIZED' });
    await expect(again).rejects.toThrow(/already reduced-precision.*DynamicQuantize/);
  });

  it('an fp16 model → QUANT_ALREADY_QUANTIZED', async () => {
    const out = join(dir, 'half.onnx');
    await quantizeFile(fixture('timm-vit-op17'), out, { mode: 'fp16' });
    await expect(quantizeFile(out, join(dir, 'half2.onnx'), { mode: 'fp16' })).rejects.toMatchObject({
      code: 'QUANT_ALREADY_QUANTIZED',
    });
  });

  it('an empty calibration folder → DATASET_INVALID; class folders without images → DATASET_EMPTY', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const o = { mode: 'int8-static' as const, calibDir: empty };
    await expect(quantizeFile(DEMO_MODEL, join(dir, 'x.onnx'), o)).rejects.toMatchObject({ code: 'DATASET_INVALID' });
    await mkdir(join(empty, 'cat'), { recursive: true });
    await expect(quantizeFile(DEMO_MODEL, join(dir, 'x.onnx'), o)).rejects.toMatchObject({ code: 'DATASET_EMPTY' });
  });

  it('int8-static without calibration data → INVALID_ARGUMENT', async () => {
    await expect(quantizeFile(DEMO_MODEL, join(dir, 'x.onnx'), { mode: 'int8-static' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('outputs', () => {
  it('writes .onnx and .ort (loadable), and embeds the preprocessing metadata', async () => {
    const out = join(dir, 'demo-dyn.onnx');
    const r = await quantizeFile(DEMO_MODEL, out, { mode: 'int8-dynamic', ort: true });
    expect(r.bytesAfter).toBeLessThan(r.bytesBefore * 0.35);
    expect(r.ortOutput).toBe(join(dir, 'demo-dyn.ort'));
    const ortBytes = await readFile(join(dir, 'demo-dyn.ort'));
    expect(ortBytes.subarray(4, 8).toString('latin1')).toBe('ORTM');
    const s = await createSession(join(dir, 'demo-dyn.ort'));
    expect(s.inputNames).toEqual(['pixel_values']);
    await s.release();
    const { model } = await loadModel(out);
    const meta = model.metadataProps.find((p) => p.key === PREPROCESS_METADATA_KEY);
    expect(JSON.parse(meta?.value ?? '{}')).toMatchObject({ height: 28, width: 28, channels: 1 });
    expect((await stat(out)).size).toBe(r.bytesAfter);
  });
});

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    stdout += typeof c === 'string' ? c : Buffer.from(c).toString();
    return true;
  });
  const code = await main(['node', 'pqv', ...args]);
  vi.restoreAllMocks();
  return { code, stdout };
}

describe('pqv quantize', () => {
  it('--json reports sizes, params and the per-layer sensitivity table', async () => {
    const out = join(dir, 'cli-static.onnx');
    const { code, stdout } = await cli([
      'quantize',
      DEMO_MODEL,
      '-o',
      out,
      '--mode',
      'int8-static',
      '--calib',
      DEMO_CALIB,
      '--samples',
      '8',
      '--keep-float',
      '2',
      '--json',
    ]);
    expect(code).toBe(0);
    const r = JSON.parse(stdout) as QuantizeReport;
    expect(r.params).toBe(2_684_554);
    expect(r.bytesAfter).toBeLessThan(r.bytesBefore / 2);
    expect(r.keptFloat).toHaveLength(2);
    expect(r.sensitivity?.length).toBe(50);
    const sqnr = r.sensitivity?.map((s) => s.sqnrDb) ?? [];
    expect([...sqnr].sort((a, b) => a - b)).toEqual(sqnr); // most sensitive first
    expect(r.sensitivity?.filter((s) => s.keptFloat).map((s) => s.node)).toEqual(r.keptFloat);
    expect(r.outputSqnrDb).toBeGreaterThan(20);
    expect(r.violations).toEqual([]);
  });

  it('errors are coded JSON with exit code 2', async () => {
    const { code, stdout } = await cli([
      'quantize',
      DEMO_MODEL,
      '-o',
      join(dir, 'y.onnx'),
      '--mode',
      'fp16',
      '--backend',
      'nnapi',
      '--json',
    ]);
    expect(code).toBe(2);
    expect(JSON.parse(stdout).error.code).toBe('BACKEND_UNSUPPORTED');
  });

  it('parses --keep-float and picks layers by sensitivity', () => {
    expect(parseKeepFloat('auto')).toBe('auto');
    expect(parseKeepFloat('3')).toBe(3);
    expect(parseKeepFloat('a, b')).toEqual(['a', 'b']);
    const rows = [10, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40].map((db, i) => ({
      id: `n${i}`,
      opType: 'MatMul',
      sqnrDb: db,
    }));
    expect(pickKeepFloat(rows, 2)).toEqual(['n0', 'n1']);
    expect(pickKeepFloat(rows, 'auto')).toEqual(['n0']); // only n0 is > 6 dB below the median
  });
});
