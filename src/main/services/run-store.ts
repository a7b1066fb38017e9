/**
 * Run storage for the API service: `SqliteRunStore` maps API run entries to the results store (SQLite);
 * `JsonlRunStore` is a JSON-lines log used only when the database cannot be opened.
 */
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import type { ResultsListRequest, RunEntry } from '../../common/api.js';
import type { BenchResult } from '../../common/types/bench.js';
import type { EvalResult } from '../../common/types/evaluate.js';
import type { RunRecord } from '../../common/types/store.js';
import type { ResultsStore } from '../engine/store/results-store.js';
import { sha256File as hashFile } from '../engine/util/hash.js';
import type { RunStore } from './engine-adapter.js';
import { dataSubdir } from './paths.js';

/** Runs in the SQLite results store; models are registered by content hash. */
export class SqliteRunStore implements RunStore {
  private readonly hashes = new Map<string, { key: string; sha: string }>();
  constructor(private readonly store: ResultsStore) {}

  private async sha(path: string): Promise<string> {
    const abs = resolve(path);
    const st = statSync(abs);
    const key = `${st.size}:${st.mtimeMs}`;
    const hit = this.hashes.get(abs);
    if (hit?.key === key) return hit.sha;
    const sha = await hashFile(abs);
    this.hashes.set(abs, { key, sha });
    return sha;
  }

  async saveRun(run: Omit<RunEntry, 'id'>): Promise<RunEntry> {
    const sha = existsSync(run.modelPath) ? await this.sha(run.modelPath) : 'unknown';
    this.store.upsertModel({ sha256: sha, path: resolve(run.modelPath), name: run.modelName });
    const id = this.store.recordRun({
      kind: run.kind,
      modelSha256: sha,
      device: run.device,
      backend: run.backend ?? 'host',
      status: run.status,
      result: run.kind === 'bench' ? run.bench : run.eval,
      error: run.error ?? null,
      startedAt: run.createdAt,
    });
    return { ...run, id: String(id) };
  }

  listRuns(q: ResultsListRequest): RunEntry[] {
    const rows = this.store.listRuns({ kind: q.kind, sweepId: q.sweepId, limit: q.limit });
    const models = new Map(this.store.listModels().map((m) => [m.sha256, m]));
    return rows.map((r) => this.toEntry(r, models.get(r.modelSha256)));
  }

  private toEntry(r: RunRecord, model: { path: string; name: string } | undefined): RunEntry {
    const variant = r.variantId !== null ? this.store.getVariant(r.variantId) : undefined;
    const entry: RunEntry = {
      id: String(r.id),
      kind: r.kind,
      createdAt: r.startedAt,
      modelPath: variant?.path ?? model?.path ?? '',
      modelName: model?.name ?? r.modelSha256.slice(0, 12),
      device: r.device,
      backend: r.backend as RunEntry['backend'],
      status: r.status,
    };
    if (variant) entry.variant = variant.label;
    if (r.sweepId) entry.sweepId = r.sweepId;
    if (r.status === 'ok' && r.kind === 'bench') entry.bench = r.result as BenchResult;
    if (r.status === 'ok' && r.kind === 'eval') entry.eval = r.result as EvalResult;
    if (r.error) entry.error = r.error;
    return entry;
  }
}

/** Append-only JSON-lines run log in the data folder. */
export class JsonlRunStore implements RunStore {
  private readonly file: string;
  constructor(dir = dataSubdir('runs')) {
    this.file = join(dir, 'runs.jsonl');
  }
  async saveRun(run: Omit<RunEntry, 'id'>): Promise<RunEntry> {
    const rec: RunEntry = { id: randomUUID(), ...run, modelName: run.modelName || basename(run.modelPath) };
    appendFileSync(this.file, `${JSON.stringify(rec)}\n`);
    return rec;
  }
  listRuns(q: ResultsListRequest): RunEntry[] {
    if (!existsSync(this.file)) return [];
    const rows = readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as RunEntry)
      .filter((r) => (!q.kind || r.kind === q.kind) && (!q.sweepId || r.sweepId === q.sweepId))
      .reverse();
    return q.limit ? rows.slice(0, q.limit) : rows;
  }
}
