/**
 * Benchmark inputs: seeded random tensors for every model input (symbolic dimensions → 1), or a raw
 * little-endian float32 file for the first input.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { PqvError } from '../../../common/errors.js';
import { seededRandom } from '../util/random.js';

interface InputMeta {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string | null | undefined>;
}

/** Concrete dims: symbolic or unknown dimensions become 1. */
export function concreteDims(shape: InputMeta['shape']): number[] {
  return shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
}

function randomTensor(meta: InputMeta, rand: () => number): ort.Tensor {
  const dims = concreteDims(meta.shape);
  const n = dims.reduce((a, b) => a * b, 1);
  switch (meta.type) {
    case 'float32': {
      const d = new Float32Array(n);
      for (let i = 0; i < n; i++) d[i] = rand() * 2 - 1;
      return new ort.Tensor('float32', d, dims);
    }
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(n), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(n), dims);
    case 'bool':
      return new ort.Tensor('bool', new Uint8Array(n), dims);
    default:
      throw new PqvError(
        'INVALID_ARGUMENT',
        `Input ${meta.name} has type ${meta.type}; the benchmark can only generate float32, int32, int64 and bool inputs. Pass a float32 model input.`,
      );
  }
}

/**
 * Build the feeds. With `inputPath`, its floats fill the first input; when its first dimension is symbolic,
 * the batch is taken from the file size.
 */
export async function buildFeeds(
  metas: readonly InputMeta[],
  seed: number,
  inputPath?: string,
): Promise<Record<string, ort.Tensor>> {
  const rand = seededRandom(seed);
  const feeds: Record<string, ort.Tensor> = {};
  for (const [i, meta] of metas.entries()) {
    if (i === 0 && inputPath) feeds[meta.name] = await fileTensor(meta, inputPath);
    else feeds[meta.name] = randomTensor(meta, rand);
  }
  return feeds;
}

async function fileTensor(meta: InputMeta, path: string): Promise<ort.Tensor> {
  if (meta.type !== 'float32') {
    throw new PqvError('INVALID_ARGUMENT', `--input gives float32 data but input ${meta.name} is ${meta.type}.`);
  }
  const buf = await readFile(path).catch(() => {
    throw new PqvError('FILE_NOT_FOUND', `Input file not found: ${path}. Pass a raw little-endian float32 file.`);
  });
  const dims = concreteDims(meta.shape);
  const per = dims.reduce((a, b) => a * b, 1);
  const floats = buf.length / 4;
  const symbolicBatch = meta.shape.length > 0 && typeof meta.shape[0] !== 'number';
  if (buf.length % 4 !== 0 || floats === 0 || floats % per !== 0 || (!symbolicBatch && floats !== per)) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      `${path} holds ${buf.length} bytes but input ${meta.name} [${dims.join(', ')}] needs ${per * 4} bytes of float32${symbolicBatch ? ' (or a multiple, for a larger batch)' : ''}.`,
    );
  }
  if (symbolicBatch) dims[0] = floats / per;
  const data = new Float32Array(floats);
  for (let i = 0; i < floats; i++) data[i] = buf.readFloatLE(i * 4);
  return new ort.Tensor('float32', data, dims);
}
