/**
 * The list of recently opened models, kept as `recent-models.json` in the data folder (newest first, at most 20).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RecentModel } from '../../common/api.js';

const MAX = 20;

export class RecentModels {
  private readonly file: string;
  constructor(dir: string) {
    this.file = join(dir, 'recent-models.json');
  }

  list(): RecentModel[] {
    if (!existsSync(this.file)) return [];
    try {
      const rows = JSON.parse(readFileSync(this.file, 'utf8')) as RecentModel[];
      return rows.filter((r) => existsSync(r.path));
    } catch {
      return [];
    }
  }

  /** Move `path` to the top of the list. */
  touch(path: string): void {
    const bytes = existsSync(path) ? statSync(path).size : 0;
    const rows = this.list().filter((r) => r.path !== path);
    rows.unshift({ path, name: basename(path), bytes, lastUsed: new Date().toISOString() });
    writeFileSync(this.file, JSON.stringify(rows.slice(0, MAX), null, 2));
  }
}
