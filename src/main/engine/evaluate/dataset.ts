/**
 * Labelled image datasets: ImageFolder trees (class sub-folders; sorted names = label index) and a
 * folder with `labels.csv` (`file,label` rows). Deterministic class-balanced subsets.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PqvError } from '../../../common/errors.js';

const IMAGE_EXT = /\.(png|jpe?g|webp|bmp|gif|tiff?)$/i;

export interface DatasetItem {
  path: string;
  label: number;
}

export interface Dataset {
  root: string;
  /** Class names in label order. */
  classes: string[];
  items: DatasetItem[];
  format: 'imagefolder' | 'labels-csv';
}

/** Read a dataset folder. Coded errors: DATASET_INVALID (missing/not a folder/bad csv), DATASET_EMPTY. */
export async function loadDataset(dir: string): Promise<Dataset> {
  const root = resolve(dir);
  const s = await stat(root).catch(() => undefined);
  if (!s) throw new PqvError('DATASET_INVALID', `Dataset folder not found: ${root}. Check the path.`);
  if (!s.isDirectory()) {
    throw new PqvError(
      'DATASET_INVALID',
      `${root} is a file, not a dataset folder. Pass a folder with one sub-folder per class, or with a labels.csv.`,
    );
  }
  const entries = await readdir(root, { withFileTypes: true });
  if (entries.some((e) => e.isFile() && e.name === 'labels.csv')) return loadLabelsCsv(root);
  const classDirs = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  if (classDirs.length === 0) {
    throw new PqvError(
      'DATASET_INVALID',
      `${root} has no class sub-folders and no labels.csv. Use the ImageFolder layout (one sub-folder per class, sorted names = label order) or add labels.csv with "file,label" rows.`,
    );
  }
  const items: DatasetItem[] = [];
  for (const [label, name] of classDirs.entries()) {
    const files = (await readdir(join(root, name))).filter((f) => IMAGE_EXT.test(f)).sort();
    for (const f of files) items.push({ path: join(root, name, f), label });
  }
  if (items.length === 0) {
    throw new PqvError('DATASET_EMPTY', `${root} has class folders but no images (png, jpg, webp, bmp, gif, tiff).`);
  }
  return { root, classes: classDirs, items, format: 'imagefolder' };
}

async function loadLabelsCsv(root: string): Promise<Dataset> {
  const text = await readFile(join(root, 'labels.csv'), 'utf8');
  const items: DatasetItem[] = [];
  const names = new Map<string, number>();
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  for (const [i, line] of lines.entries()) {
    const m = /^"?([^",]+)"?\s*,\s*"?([^",]+)"?$/.exec(line);
    if (!m) throw new PqvError('DATASET_INVALID', `labels.csv line ${i + 1} is not "file,label": ${line}`);
    const [, file, label] = m as unknown as [string, string, string];
    if (i === 0 && /^(file|filename|path)$/i.test(file)) continue;
    let idx: number;
    if (/^\d+$/.test(label)) idx = Number(label);
    else {
      if (!names.has(label)) names.set(label, names.size);
      idx = names.get(label) as number;
    }
    items.push({ path: join(root, file), label: idx });
  }
  if (items.length === 0) throw new PqvError('DATASET_EMPTY', `${join(root, 'labels.csv')} lists no images.`);
  const maxLabel = Math.max(...items.map((x) => x.label));
  const classes = names.size > 0 ? [...names.keys()] : Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  return { root, classes, items, format: 'labels-csv' };
}

/**
 * A deterministic, class-balanced subset of `limit` items: round-robin over classes in label order,
 * taking each class's items in sorted order. The same dataset and limit always give the same subset.
 */
export function balancedSubset(ds: Dataset, limit?: number): DatasetItem[] {
  if (limit === undefined || limit >= ds.items.length) return ds.items;
  if (limit <= 0) throw new PqvError('INVALID_ARGUMENT', `--limit must be a positive number (got ${limit}).`);
  const byClass = new Map<number, DatasetItem[]>();
  for (const it of ds.items) {
    const l = byClass.get(it.label);
    if (l) l.push(it);
    else byClass.set(it.label, [it]);
  }
  const queues = [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  const out: DatasetItem[] = [];
  for (let round = 0; out.length < limit; round++) {
    let took = false;
    for (const q of queues) {
      const it = q[round];
      if (it && out.length < limit) {
        out.push(it);
        took = true;
      }
    }
    if (!took) break;
  }
  return out;
}
