/**
 * Cache of built variants in the user-data `variants` folder, by spec hash: `<key>.onnx` plus `<key>.json`
 * (content hash, size, params). Files are written to a temporary name and renamed, so a killed sweep never
 * leaves a half-written variant behind; an entry whose bytes no longer match its hash is rebuilt.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { sha256Hex } from '../util/hash.js';
import { join } from 'node:path';

export interface CachedVariant {
  path: string;
  sha256: string;
  bytes: number;
  params: number;
}

interface Meta {
  sha256: string;
  bytes: number;
  params: number;
  label: string;
  createdAt: string;
}

/** The cached variant for `key`, or undefined when absent or damaged. */
export async function readCachedVariant(
  dir: string,
  key: string,
  hashFile: (p: string) => Promise<string>,
): Promise<CachedVariant | undefined> {
  const path = join(dir, `${key}.onnx`);
  let meta: Meta;
  try {
    meta = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as Meta;
    const s = await stat(path);
    if (s.size !== meta.bytes) return undefined;
  } catch {
    return undefined;
  }
  if ((await hashFile(path)) !== meta.sha256) return undefined;
  return { path, sha256: meta.sha256, bytes: meta.bytes, params: meta.params };
}

/** Store a built variant; returns its cache entry. */
export async function writeCachedVariant(
  dir: string,
  key: string,
  label: string,
  bytes: Uint8Array,
  params: number,
): Promise<CachedVariant> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${key}.onnx`);
  const sha256 = sha256Hex(bytes);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  const meta: Meta = { sha256, bytes: bytes.length, params, label, createdAt: new Date().toISOString() };
  const metaTmp = join(dir, `${key}.json.${process.pid}.tmp`);
  await writeFile(metaTmp, JSON.stringify(meta, null, 2));
  await rename(metaTmp, join(dir, `${key}.json`));
  return { path, sha256, bytes: bytes.length, params };
}
