import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, TensorProto_DataLocation } from 'onnx-buf';
import { describe, expect, it } from 'vitest';
import { PqvError } from '../../../src/common/errors.js';
import { inspectModel } from '../../../src/main/engine/model/inspect.js';
import { parseModel, serializeModel } from '../../../src/main/engine/onnx/model-io.js';

const demo = resolve('resources/demo/fmnist-deit-op17.onnx');
const small = resolve('test/fixtures/vit-exports/timm-vit-op13.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'pqv-inspect-'));

async function codeOf(path: string): Promise<string> {
  const e = await inspectModel(path).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(PqvError);
  return (e as PqvError).code;
}

function writeTmp(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

describe('inspectModel', () => {
  it('summarises the demo model', async () => {
    const bytes = readFileSync(demo);
    const s = await inspectModel(demo);
    const model = parseModel(new Uint8Array(bytes));
    const params = model.graph!.initializer.reduce((a, t) => a + t.dims.reduce((x, d) => x * Number(d), 1), 0);
    expect(s).toMatchObject({
      path: demo,
      opset: 17,
      irVersion: Number(model.irVersion),
      producer: `${model.producerName} ${model.producerVersion}`,
      inputs: [{ name: 'pixel_values', type: 'float32', shape: ['batch', 1, 28, 28] }],
      outputs: [{ name: 'logits', type: 'float32', shape: ['batch', 10] }],
      params,
      bytes: bytes.length,
      externalData: false,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    // 2.69M parameters per the demo's README.
    expect(s.params / 1e6).toBeCloseTo(2.68, 1);
    expect(Object.values(s.ops).reduce((a, b) => a + b, 0)).toBe(model.graph!.node.length);
    expect(s.ops.MatMul).toBe(model.graph!.node.filter((n) => n.opType === 'MatMul').length);
  });

  it('counts external data files in the size and flags them', async () => {
    const model = parseModel(new Uint8Array(readFileSync(small)));
    const big = [...model.graph!.initializer].sort((a, b) => b.rawData.length - a.rawData.length)[0]!;
    const raw = big.rawData;
    const dir = join(tmp, 'ext');
    mkdirSync(dir);
    writeFileSync(join(dir, 'weights.bin'), raw);
    big.rawData = new Uint8Array(0);
    big.dataLocation = TensorProto_DataLocation.EXTERNAL;
    big.externalData = [
      create(StringStringEntryProtoSchema, { key: 'location', value: 'weights.bin' }),
      create(StringStringEntryProtoSchema, { key: 'length', value: String(raw.length) }),
    ];
    writeFileSync(join(dir, 'm.onnx'), serializeModel(model));
    const s = await inspectModel(join(dir, 'm.onnx'));
    expect(s.externalData).toBe(true);
    expect(s.bytes).toBe(statSync(join(dir, 'm.onnx')).size + raw.length);
  });

  it('lists only real inputs when initializers are also graph inputs', async () => {
    const model = parseModel(new Uint8Array(readFileSync(small)));
    const w = model.graph!.initializer[0]!;
    const vi = structuredClone(model.graph!.input[0]!);
    vi.name = w.name;
    model.graph!.input.push(vi);
    const s = await inspectModel(writeTmp('init-inputs.onnx', serializeModel(model)));
    expect(s.inputs.map((i) => i.name)).toEqual([model.graph!.input[0]!.name]);
  });
});

describe('inspectModel coded errors', () => {
  const bytes = new Uint8Array(readFileSync(small));

  it('empty file → MODEL_EMPTY', async () => {
    expect(await codeOf(writeTmp('empty.onnx', new Uint8Array(0)))).toBe('MODEL_EMPTY');
  });

  it('random bytes → MODEL_INVALID', async () => {
    let x = 12345;
    const rnd = new Uint8Array(4096).map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
    expect(await codeOf(writeTmp('random.onnx', rnd))).toBe('MODEL_INVALID');
    expect(await codeOf(writeTmp('text.onnx', new TextEncoder().encode('hello, this is not a model\n')))).toBe(
      'MODEL_INVALID',
    );
  });

  it.each([0.01, 0.5, 0.9, 0.999])('model cut at %f of its size → MODEL_TRUNCATED', async (frac) => {
    expect(await codeOf(writeTmp(`cut-${frac}.onnx`, bytes.subarray(0, Math.floor(bytes.length * frac))))).toBe(
      'MODEL_TRUNCATED',
    );
  });

  it('model cut exactly between top-level fields → MODEL_TRUNCATED', async () => {
    // Walk the top-level protobuf fields and cut right after each one but the last.
    const varint = (p: number): [number, number] => {
      let r = 0;
      let s = 1;
      for (;;) {
        const b = bytes[p++]!;
        r += (b & 127) * s;
        s *= 128;
        if (b < 128) return [r, p];
      }
    };
    const ends: number[] = [];
    for (let p = 0; p < bytes.length;) {
      const [tag, q] = varint(p);
      if ((tag & 7) === 0) p = varint(q)[1];
      else {
        const [len, r] = varint(q);
        p = r + len;
      }
      ends.push(p);
    }
    expect(ends.length).toBeGreaterThan(2);
    for (const end of ends.slice(0, -1)) {
      expect(await codeOf(writeTmp(`cut-at-${end}.onnx`, bytes.subarray(0, end)))).toBe('MODEL_TRUNCATED');
    }
  });

  it('missing file → FILE_NOT_FOUND, directory → NOT_A_FILE', async () => {
    expect(await codeOf(join(tmp, 'nope.onnx'))).toBe('FILE_NOT_FOUND');
    expect(await codeOf(tmp)).toBe('NOT_A_FILE');
  });
});
