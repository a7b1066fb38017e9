/**
 * Models over the protobuf size limit are saved with external data (`<name>.data`); loading reads it back. The
 * threshold is lowered here so a small fixture takes the same path as a multi-gigabyte model.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasExternalData, loadModel, parseModel, saveModel } from '../../../src/main/engine/onnx/model-io.js';
import { createSession, runFloat } from '../../../src/main/engine/onnx/session.js';

const fixture = resolve(__dirname, '../../fixtures/vit-exports/timm-vit-op17');

function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

describe('external data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pqv-extdata-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes large initializers to NAME.data, and both ONNX Runtime and loadModel read the model back', async () => {
    const { model, bytes } = await loadModel(`${fixture}.onnx`);
    const out = join(dir, 'big.onnx');
    await saveModel(model, out, { externalDataThreshold: 0 });
    expect(existsSync(`${out}.data`)).toBe(true);
    const onDisk = readFileSync(out);
    expect(onDisk.length).toBeLessThan(bytes.length / 4);
    expect(hasExternalData(parseModel(new Uint8Array(onDisk), out))).toBe(true);
    expect(statSync(`${out}.data`).size).toBeGreaterThan(bytes.length / 2);
    // The in-memory model is left as it was (self-contained).
    expect(hasExternalData(model)).toBe(false);

    const input = readF32(`${fixture}.input.f32`);
    const expected = readF32(`${fixture}.logits.f32`);
    const fromOrt = await runFloat(await createSession(out), input, [1, 3, 224, 224]);
    const reloaded = await loadModel(out);
    expect(hasExternalData(reloaded.model)).toBe(false);
    const fromLoad = await runFloat(await createSession(reloaded.model), input, [1, 3, 224, 224]);
    for (let i = 0; i < expected.length; i++) {
      expect(Math.abs((fromOrt.data[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-4);
      expect(fromLoad.data[i]).toBe(fromOrt.data[i]);
    }
  });
});
