/**
 * Preprocessing configuration (where it comes from) and image → tensor conversion with sharp.
 *
 * Lookup order: ONNX metadata_props key `pqv.preprocess` (JSON) → sidecar `MODEL.preprocess.json`
 * (next to the .onnx, same base name) → explicit overrides (CLI flags). Missing → PREPROCESS_MISSING.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { z } from 'zod';
import { create } from '@bufbuild/protobuf';
import { StringStringEntryProtoSchema, type ModelProto } from 'onnx-buf';
import { PqvError } from '../../../common/errors.js';
import type { PreprocessConfig } from '../../../common/types/evaluate.js';

export const PREPROCESS_METADATA_KEY = 'pqv.preprocess';

const preprocessSchema = z.object({
  height: z.number().int().positive(),
  width: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  resizeShorter: z.number().int().positive().optional(),
  mean: z.array(z.number()).min(1),
  std: z.array(z.number().positive()).min(1),
  layout: z.enum(['NCHW', 'NHWC']).optional(),
  labels: z.array(z.string()).optional(),
});

/** Validate a preprocessing object; coded error naming the source on failure. */
export function parsePreprocess(value: unknown, source: string): PreprocessConfig {
  const r = preprocessSchema.safeParse(value);
  if (!r.success) {
    throw new PqvError(
      'PREPROCESS_MISSING',
      `Preprocessing in ${source} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const cfg = r.data as PreprocessConfig;
  if (cfg.mean.length !== cfg.channels || cfg.std.length !== cfg.channels) {
    throw new PqvError('PREPROCESS_MISSING', `Preprocessing in ${source}: mean and std need ${cfg.channels} value(s).`);
  }
  return cfg;
}

/** Path of the sidecar preprocessing file for a model path. */
export function sidecarPath(modelPath: string): string {
  return modelPath.replace(/\.(onnx|ort)$/i, '') + '.preprocess.json';
}

/**
 * Resolve the preprocessing of a model: metadata, then sidecar, then overrides.
 * Overrides (flags) win field by field over what was found.
 */
export async function resolvePreprocess(
  modelPath: string,
  model?: ModelProto,
  overrides: Partial<PreprocessConfig> = {},
): Promise<PreprocessConfig> {
  let base: Partial<PreprocessConfig> | undefined;
  const meta = model?.metadataProps.find((p) => p.key === PREPROCESS_METADATA_KEY);
  if (meta) {
    try {
      base = parsePreprocess(JSON.parse(meta.value), `${modelPath} metadata`);
    } catch (e) {
      if (e instanceof PqvError) throw e;
      throw new PqvError(
        'PREPROCESS_MISSING',
        `Metadata ${PREPROCESS_METADATA_KEY} of ${modelPath} is not valid JSON.`,
      );
    }
  }
  if (!base) {
    const side = sidecarPath(modelPath);
    const text = await readFile(side, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new PqvError('PREPROCESS_MISSING', `${side} is not valid JSON.`);
      }
      base = parsePreprocess(json, side);
    }
  }
  const merged = { ...base, ...stripUndefined(overrides) };
  if (
    merged.height === undefined ||
    merged.width === undefined ||
    merged.channels === undefined ||
    !merged.mean ||
    !merged.std
  ) {
    throw new PqvError(
      'PREPROCESS_MISSING',
      `No preprocessing known for ${modelPath}. Add ${sidecarPath(modelPath)} ({"height","width","channels","mean","std"}) or pass --size, --channels, --mean and --std.`,
    );
  }
  return parsePreprocess(merged, 'the given options');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Store a preprocessing config in the model's metadata (so variants carry it along). */
export function embedPreprocess(model: ModelProto, cfg: PreprocessConfig): void {
  const value = JSON.stringify(cfg);
  const existing = model.metadataProps.find((p) => p.key === PREPROCESS_METADATA_KEY);
  if (existing) existing.value = value;
  else model.metadataProps.push(create(StringStringEntryProtoSchema, { key: PREPROCESS_METADATA_KEY, value }));
}

/** Number of floats one image occupies in the model input. */
export function imageSize(cfg: PreprocessConfig): number {
  return cfg.channels * cfg.height * cfg.width;
}

/**
 * Decode an image file and write its normalised tensor into `out` at `offset` (NCHW or NHWC).
 */
export async function loadImageInto(
  path: string,
  cfg: PreprocessConfig,
  out: Float32Array,
  offset: number,
): Promise<void> {
  let img = sharp(path, { failOn: 'error' });
  if (cfg.resizeShorter) {
    img = img
      .resize(cfg.resizeShorter, cfg.resizeShorter, { fit: 'outside', kernel: 'cubic' })
      .resize(cfg.width, cfg.height, { fit: 'cover', position: 'centre' });
  } else {
    img = img.resize(cfg.width, cfg.height, { fit: 'fill' });
  }
  img = cfg.channels === 1 ? img.grayscale() : img.removeAlpha().toColourspace('srgb');
  let raw: Buffer;
  let channels: number;
  try {
    const r = await img.raw().toBuffer({ resolveWithObject: true });
    raw = r.data;
    channels = r.info.channels;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new PqvError('DATASET_INVALID', `Cannot decode image ${path}: ${msg}. Remove or replace the file.`);
  }
  const { height: h, width: w } = cfg;
  const c = cfg.channels;
  const nhwc = cfg.layout === 'NHWC';
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const v = (raw[(y * w + x) * channels + k] ?? 0) / 255;
        const norm = (v - (cfg.mean[k] ?? 0)) / (cfg.std[k] ?? 1);
        const idx = nhwc ? (y * w + x) * c + k : k * h * w + y * w + x;
        out[offset + idx] = norm;
      }
    }
  }
}
