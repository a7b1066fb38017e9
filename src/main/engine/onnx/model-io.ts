/**
 * Reading and writing ONNX model files (ModelProto via onnx-buf).
 *
 * Owns: file validation with coded errors, external-data loading, byte-identical round trip
 * of unmodified models, and saving (with external data for models over the 2 GB protobuf limit).
 */
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { clone, create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ModelProtoSchema,
  StringStringEntryProtoSchema,
  TensorProto_DataLocation,
  type ModelProto,
  type TensorProto,
} from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';

export type { ModelProto } from 'onnx-buf';

/** A model together with where it came from. */
export interface LoadedModel {
  model: ModelProto;
  /** Absolute path of the .onnx file. */
  path: string;
  /** The exact bytes read (for hashing and byte-identical round trips). */
  bytes: Uint8Array;
}

/** Check that `path` names a readable regular file; coded errors otherwise. */
export async function assertModelFile(path: string): Promise<number> {
  let size: number;
  try {
    const s = await stat(path);
    if (!s.isFile()) {
      throw new PqvError('NOT_A_FILE', `${path} is a directory, not an ONNX file. Pick the .onnx file inside it.`, {
        path,
      });
    }
    size = s.size;
  } catch (e) {
    if (e instanceof PqvError) throw e;
    throw new PqvError('FILE_NOT_FOUND', `Model file not found: ${path}. Check the path and try again.`, { path });
  }
  if (size === 0) {
    throw new PqvError('MODEL_EMPTY', `${path} is empty (0 bytes). Re-export the model from PyTorch/timm.`, { path });
  }
  return size;
}

/** Parse ONNX bytes. Throws MODEL_INVALID / MODEL_TRUNCATED with a helpful message. */
export function parseModel(bytes: Uint8Array, path = '<memory>'): ModelProto {
  if (bytes.length === 0) {
    throw new PqvError('MODEL_EMPTY', `${path} is empty (0 bytes). Re-export the model.`, { path });
  }
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes, { readUnknownFields: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const endsEarly = /premature EOF|out of range|invalid wire|index out of range|unexpected end/i.test(msg);
    const truncated = endsEarly && startsWithIrVersion(bytes);
    throw new PqvError(
      truncated ? 'MODEL_TRUNCATED' : 'MODEL_INVALID',
      truncated
        ? `${path} looks truncated (the protobuf data ends early). The file was probably cut off while copying: copy or export it again.`
        : `${path} is not a valid ONNX model (${msg}). Export it with torch.onnx.export or optimum-cli and try again.`,
      { path },
    );
  }
  // A file cut exactly between two top-level fields still parses: it starts like an ONNX model
  // (ir_version, producer) but the graph or the opset imports that follow it are missing.
  const startsLikeOnnx = model.irVersion > 0n && model.irVersion < 100n;
  const hasGraph = !!model.graph && (model.graph.node.length > 0 || model.graph.initializer.length > 0);
  if (startsLikeOnnx && (!hasGraph || model.opsetImport.length === 0)) {
    throw new PqvError(
      'MODEL_TRUNCATED',
      `${path} looks truncated: it starts like an ONNX model but its ${hasGraph ? 'opset imports are' : 'graph is'} missing. The file was probably cut off while copying: copy or export it again.`,
      { path },
    );
  }
  if (!model.graph || (model.graph.node.length === 0 && model.graph.initializer.length === 0)) {
    throw new PqvError(
      'MODEL_INVALID',
      `${path} parsed but holds no ONNX graph. It is not an ONNX model: pick the .onnx file exported from your framework.`,
      { path },
    );
  }
  if (model.opsetImport.length === 0) {
    throw new PqvError('MODEL_INVALID', `${path} declares no opset, so it is not a usable ONNX model.`, { path });
  }
  const truncated = findTruncatedInitializer(model);
  if (truncated) {
    throw new PqvError(
      'MODEL_TRUNCATED',
      `${path} looks truncated: initializer "${truncated}" has fewer bytes than its shape needs. Copy or export the file again.`,
      { path, initializer: truncated },
    );
  }
  return model;
}

/**
 * True when the bytes begin like a serialized ModelProto: field 1 (ir_version, varint) with a plausible
 * value. Protobuf writers emit fields in number order, so every real ONNX file starts this way; random
 * bytes almost never do, which keeps "cut-off file" apart from "not an ONNX file".
 */
function startsWithIrVersion(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x08) return false;
  const v = bytes[1];
  return v !== undefined && v >= 1 && v < 0x80 && v <= 30;
}

function findTruncatedInitializer(model: ModelProto): string | null {
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation === TensorProto_DataLocation.EXTERNAL) continue;
    if (t.rawData.length === 0) continue;
    const elems = t.dims.reduce((a, d) => a * Number(d), 1);
    const width = BYTES_PER_ELEMENT[t.dataType];
    if (width !== undefined && t.rawData.length < elems * width) return t.name;
  }
  return null;
}

/** Bytes per element by ONNX data type (fixed-width types only). */
export const BYTES_PER_ELEMENT: Record<number, number> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  16: 2,
};

/** Load a model file; external data (if any) is read into `rawData` so the model is self-contained in memory. */
export async function loadModel(path: string): Promise<LoadedModel> {
  const abs = resolve(path);
  await assertModelFile(abs);
  const bytes = new Uint8Array(await readFile(abs));
  const model = parseModel(bytes, abs);
  await inlineExternalData(model, dirname(abs));
  return { model, path: abs, bytes };
}

/** True when any initializer stores its data in an external file. */
export function hasExternalData(model: ModelProto): boolean {
  return (model.graph?.initializer ?? []).some((t) => t.dataLocation === TensorProto_DataLocation.EXTERNAL);
}

async function inlineExternalData(model: ModelProto, baseDir: string): Promise<void> {
  const cache = new Map<string, Buffer>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
    const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
    const location = kv.get('location');
    if (!location) throw new PqvError('MODEL_INVALID', `Initializer ${t.name} has external data without a location.`);
    const file = join(baseDir, location);
    let buf = cache.get(file);
    if (!buf) {
      try {
        buf = await readFile(file);
      } catch {
        throw new PqvError(
          'FILE_NOT_FOUND',
          `External data file ${location} of initializer ${t.name} is missing. Keep it next to the .onnx file.`,
          { file },
        );
      }
      cache.set(file, buf);
    }
    const offset = Number(kv.get('offset') ?? '0');
    const length = kv.has('length') ? Number(kv.get('length')) : buf.length - offset;
    if (offset + length > buf.length) {
      throw new PqvError(
        'MODEL_TRUNCATED',
        `External data file ${location} is shorter than initializer ${t.name} needs.`,
      );
    }
    t.rawData = new Uint8Array(buf.subarray(offset, offset + length));
    t.dataLocation = TensorProto_DataLocation.DEFAULT;
    t.externalData = [];
  }
}

/** Serialize a model to bytes (must stay under 2 GB; use saveModel for large models). */
export function serializeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model, { writeUnknownFields: true });
}

/** Bytes of tensor data above which `saveModel` moves initializers to an external file (protobuf's limit is 2 GB). */
export const EXTERNAL_DATA_THRESHOLD = 1_800_000_000;

/** Options of `saveModel`. */
export interface SaveModelOptions {
  /** Tensor bytes above which large initializers go to `<name>.data`. Default `EXTERNAL_DATA_THRESHOLD`. */
  externalDataThreshold?: number;
}

/**
 * Save a model. When its tensor data exceeds the protobuf limit, large initializers are written to
 * `<name>.data` next to it (ONNX external data convention).
 */
export async function saveModel(model: ModelProto, path: string, options: SaveModelOptions = {}): Promise<number> {
  await mkdir(dirname(resolve(path)), { recursive: true });
  const total = (model.graph?.initializer ?? []).reduce((a, t) => a + t.rawData.length, 0);
  if (total < (options.externalDataThreshold ?? EXTERNAL_DATA_THRESHOLD)) {
    const bytes = serializeModel(model);
    await writeFile(path, bytes);
    return bytes.length;
  }
  const dataName = `${basename(path)}.data`;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const moved: Array<{ t: TensorProto; raw: Uint8Array<ArrayBuffer> }> = [];
  for (const t of model.graph?.initializer ?? []) {
    if (t.rawData.length < 1024) continue;
    const pad = (4096 - (offset % 4096)) % 4096;
    if (pad) chunks.push(new Uint8Array(pad));
    offset += pad;
    moved.push({ t, raw: t.rawData });
    t.externalData = [
      create(StringStringEntryProtoSchema, { key: 'location', value: dataName }),
      create(StringStringEntryProtoSchema, { key: 'offset', value: String(offset) }),
      create(StringStringEntryProtoSchema, { key: 'length', value: String(t.rawData.length) }),
    ];
    t.dataLocation = TensorProto_DataLocation.EXTERNAL;
    chunks.push(t.rawData);
    offset += t.rawData.length;
    t.rawData = new Uint8Array(0);
  }
  try {
    const { createWriteStream } = await import('node:fs');
    await new Promise<void>((res, rej) => {
      const ws = createWriteStream(join(dirname(resolve(path)), dataName));
      ws.on('error', rej);
      for (const c of chunks) ws.write(c);
      ws.end(() => res());
    });
    const bytes = serializeModel(model);
    await writeFile(path, bytes);
    return bytes.length + offset;
  } finally {
    for (const { t, raw } of moved) {
      t.rawData = raw;
      t.dataLocation = TensorProto_DataLocation.DEFAULT;
      t.externalData = [];
    }
  }
}

/** A deep copy of a model (edits to the copy never reach the original). */
export function cloneModel(model: ModelProto): ModelProto {
  return clone(ModelProtoSchema, model);
}

/** Default-domain opset version of a model. */
export function opsetOf(model: ModelProto): number {
  const op = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return op ? Number(op.version) : 0;
}
