/**
 * The results store: SQLite (better-sqlite3, WAL) in the user-data folder holding imported models,
 * compressed variants, devices seen, sweeps and every benchmark/evaluation run. Each write is committed
 * at once, so a crash loses at most the run in progress. Sweep runs are keyed by
 * (sweep, kind, variant, device, backend): recording one again replaces it instead of adding a row.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { PqvError, type SerializedError } from '../../../common/errors.js';
import type {
  DeviceRecord,
  ModelRecord,
  RunKind,
  RunRecord,
  RunStatus,
  SweepRecord,
  SweepStatus,
  VariantRecord,
} from '../../../common/types/store.js';
import { migrate } from './migrations.js';
import { dbPath } from './paths.js';

/** A model to register (by content hash). */
export interface ModelInput {
  sha256: string;
  path: string;
  /** Display name; defaults to the file name. */
  name?: string;
  summary?: unknown;
}

/** A compressed variant to register (by content hash). */
export interface VariantInput {
  modelId: number;
  sha256: string;
  label: string;
  spec?: unknown;
  path?: string | null;
  params?: number | null;
  bytes?: number | null;
  top1?: number | null;
  top5?: number | null;
  evalN?: number | null;
}

/** A finished (or failed/cancelled) run to record. */
export interface RunInput {
  /** Set for runs of a sweep; a run with the same sweep/kind/variant/device/backend replaces the old one. */
  sweepId?: string | null;
  variantId?: number | null;
  /** Default `bench`. */
  kind?: RunKind;
  modelSha256: string;
  device: string;
  backend: string;
  status: RunStatus;
  result?: unknown;
  error?: SerializedError | null;
  /** ISO times; `startedAt` defaults to now. */
  startedAt?: string;
  finishedAt?: string | null;
}

/** Filter of `listRuns`; all given fields must match. `sweepId: null` selects runs outside sweeps. */
export interface RunFilter {
  sweepId?: string | null;
  variantId?: number;
  kind?: RunKind;
  modelSha256?: string;
  device?: string;
  backend?: string;
  status?: RunStatus;
  /** Newest first, at most this many. */
  limit?: number;
}

const now = (): string => new Date().toISOString();
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const parse = (s: unknown): unknown => (typeof s === 'string' ? JSON.parse(s) : null);
type Row = Record<string, unknown>;

export class ResultsStore {
  private constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {}

  /** Open (creating and migrating if needed) the database at `path`, default `<PQV home>/pqv.db`. */
  static open(path: string = dbPath()): ResultsStore {
    const abs = resolve(path);
    let db: Database.Database;
    try {
      mkdirSync(dirname(abs), { recursive: true });
      db = new Database(abs, { timeout: 10_000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    } catch (e) {
      if (e instanceof PqvError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      throw new PqvError(
        'STORE_FAILED',
        `Cannot open the results database ${abs}: ${msg}. Check that the folder is writable, or set PQV_HOME to another folder.`,
        { path: abs },
      );
    }
    return new ResultsStore(db, abs);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Insert or update a model by sha256; returns its id. */
  upsertModel(m: ModelInput): number {
    const name = m.name ?? m.path.split(/[\\/]/).pop() ?? m.path;
    const row = this.db
      .prepare(
        `INSERT INTO models (sha256, path, name, summary_json, added_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(sha256) DO UPDATE SET path = excluded.path, name = excluded.name,
           summary_json = COALESCE(excluded.summary_json, models.summary_json)
         RETURNING id`,
      )
      .get(m.sha256, m.path, name, json(m.summary), now()) as { id: number };
    return row.id;
  }

  getModel(sha256: string): ModelRecord | undefined {
    const r = this.db.prepare('SELECT * FROM models WHERE sha256 = ?').get(sha256) as Row | undefined;
    return r && toModel(r);
  }

  listModels(): ModelRecord[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY added_at DESC, id DESC').all() as Row[]).map(toModel);
  }

  /** Insert or update a variant by sha256; returns its id. Accuracy fields left undefined keep their stored value. */
  upsertVariant(v: VariantInput): number {
    const row = this.db
      .prepare(
        `INSERT INTO variants (model_id, sha256, label, spec_json, path, params, bytes, top1, top5, eval_n, created_at)
         VALUES (@modelId, @sha256, @label, @spec, @path, @params, @bytes, @top1, @top5, @evalN, @createdAt)
         ON CONFLICT(sha256) DO UPDATE SET label = excluded.label,
           spec_json = COALESCE(excluded.spec_json, variants.spec_json),
           path = COALESCE(excluded.path, variants.path),
           params = COALESCE(excluded.params, variants.params), bytes = COALESCE(excluded.bytes, variants.bytes),
           top1 = COALESCE(excluded.top1, variants.top1), top5 = COALESCE(excluded.top5, variants.top5),
           eval_n = COALESCE(excluded.eval_n, variants.eval_n)
         RETURNING id`,
      )
      .get({
        modelId: v.modelId,
        sha256: v.sha256,
        label: v.label,
        spec: json(v.spec),
        path: v.path ?? null,
        params: v.params ?? null,
        bytes: v.bytes ?? null,
        top1: v.top1 ?? null,
        top5: v.top5 ?? null,
        evalN: v.evalN ?? null,
        createdAt: now(),
      }) as { id: number };
    return row.id;
  }

  getVariant(idOrSha: number | string): VariantRecord | undefined {
    const col = typeof idOrSha === 'number' ? 'id' : 'sha256';
    const r = this.db.prepare(`SELECT * FROM variants WHERE ${col} = ?`).get(idOrSha) as Row | undefined;
    return r && toVariant(r);
  }

  listVariants(modelId?: number): VariantRecord[] {
    const rows =
      modelId === undefined
        ? this.db.prepare('SELECT * FROM variants ORDER BY id').all()
        : this.db.prepare('SELECT * FROM variants WHERE model_id = ? ORDER BY id').all(modelId);
    return (rows as Row[]).map(toVariant);
  }

  /** Record a run (committed immediately). Sweep runs replace an earlier run with the same key. Returns its id. */
  recordRun(r: RunInput): number {
    const params = {
      sweepId: r.sweepId ?? null,
      variantId: r.variantId ?? null,
      kind: r.kind ?? 'bench',
      modelSha256: r.modelSha256,
      device: r.device,
      backend: r.backend,
      status: r.status,
      result: json(r.result),
      error: json(r.error ?? undefined),
      startedAt: r.startedAt ?? now(),
      finishedAt: r.finishedAt === undefined ? now() : r.finishedAt,
    };
    const insert = `INSERT INTO runs (sweep_id, variant_id, kind, model_sha256, device, backend, status, result_json, error_json, started_at, finished_at)
      VALUES (@sweepId, @variantId, @kind, @modelSha256, @device, @backend, @status, @result, @error, @startedAt, @finishedAt)`;
    const sql =
      params.sweepId === null
        ? `${insert} RETURNING id`
        : `${insert} ON CONFLICT (sweep_id, kind, COALESCE(variant_id, 0), device, backend) WHERE sweep_id IS NOT NULL
         DO UPDATE SET model_sha256 = excluded.model_sha256, status = excluded.status, result_json = excluded.result_json,
           error_json = excluded.error_json, started_at = excluded.started_at, finished_at = excluded.finished_at
         RETURNING id`;
    try {
      return (this.db.prepare(sql).get(params) as { id: number }).id;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new PqvError('STORE_FAILED', `Could not record the run in ${this.path}: ${msg}`);
    }
  }

  listRuns(filter: RunFilter = {}): RunRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.sweepId === null) where.push('sweep_id IS NULL');
    else if (filter.sweepId !== undefined) {
      where.push('sweep_id = ?');
      args.push(filter.sweepId);
    }
    const eq: Array<[keyof RunFilter, string]> = [
      ['variantId', 'variant_id'],
      ['kind', 'kind'],
      ['modelSha256', 'model_sha256'],
      ['device', 'device'],
      ['backend', 'backend'],
      ['status', 'status'],
    ];
    for (const [key, col] of eq) {
      if (filter[key] !== undefined) {
        where.push(`${col} = ?`);
        args.push(filter[key]);
      }
    }
    let sql = `SELECT * FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC`;
    if (filter.limit !== undefined) {
      sql += ' LIMIT ?';
      args.push(filter.limit);
    }
    return (this.db.prepare(sql).all(...args) as Row[]).map(toRun);
  }

  createSweep(s: { id: string; config: unknown; status?: SweepStatus }): SweepRecord {
    this.db
      .prepare('INSERT INTO sweeps (id, created_at, config_json, status) VALUES (?, ?, ?, ?)')
      .run(s.id, now(), JSON.stringify(s.config ?? null), s.status ?? 'pending');
    return this.getSweep(s.id) as SweepRecord;
  }

  /** Set a sweep's status; `done`, `failed` and `cancelled` also set `finished_at`. */
  updateSweepStatus(id: string, status: SweepStatus): void {
    const finished = status === 'done' || status === 'failed' || status === 'cancelled' ? now() : null;
    const info = this.db
      .prepare('UPDATE sweeps SET status = ?, finished_at = ? WHERE id = ?')
      .run(status, finished, id);
    if (info.changes === 0)
      throw new PqvError('SWEEP_NOT_FOUND', `No sweep with id ${id}. List sweeps with \`pqv sweep list\`.`);
  }

  getSweep(id: string): SweepRecord | undefined {
    const r = this.db.prepare('SELECT * FROM sweeps WHERE id = ?').get(id) as Row | undefined;
    return r && toSweep(r);
  }

  listSweeps(): SweepRecord[] {
    return (this.db.prepare('SELECT * FROM sweeps ORDER BY created_at DESC, id').all() as Row[]).map(toSweep);
  }

  upsertDevice(serial: string, facts: unknown): void {
    this.db
      .prepare(
        `INSERT INTO devices (serial, facts_json, last_seen) VALUES (?, ?, ?)
         ON CONFLICT(serial) DO UPDATE SET facts_json = COALESCE(excluded.facts_json, devices.facts_json), last_seen = excluded.last_seen`,
      )
      .run(serial, json(facts), now());
  }

  listDevices(): DeviceRecord[] {
    return (this.db.prepare('SELECT * FROM devices ORDER BY last_seen DESC').all() as Row[]).map((r) => ({
      serial: r.serial as string,
      facts: parse(r.facts_json),
      lastSeen: r.last_seen as string,
    }));
  }
}

function toModel(r: Row): ModelRecord {
  return {
    id: r.id as number,
    sha256: r.sha256 as string,
    path: r.path as string,
    name: r.name as string,
    summary: parse(r.summary_json),
    addedAt: r.added_at as string,
  };
}

function toVariant(r: Row): VariantRecord {
  return {
    id: r.id as number,
    modelId: r.model_id as number,
    sha256: r.sha256 as string,
    label: r.label as string,
    spec: parse(r.spec_json),
    path: (r.path as string | null) ?? null,
    params: (r.params as number | null) ?? null,
    bytes: (r.bytes as number | null) ?? null,
    top1: (r.top1 as number | null) ?? null,
    top5: (r.top5 as number | null) ?? null,
    evalN: (r.eval_n as number | null) ?? null,
    createdAt: r.created_at as string,
  };
}

function toRun(r: Row): RunRecord {
  return {
    id: r.id as number,
    sweepId: (r.sweep_id as string | null) ?? null,
    variantId: (r.variant_id as number | null) ?? null,
    kind: r.kind as RunKind,
    modelSha256: r.model_sha256 as string,
    device: r.device as string,
    backend: r.backend as string,
    status: r.status as RunStatus,
    result: parse(r.result_json),
    error: parse(r.error_json) as SerializedError | null,
    startedAt: r.started_at as string,
    finishedAt: (r.finished_at as string | null) ?? null,
  };
}

function toSweep(r: Row): SweepRecord {
  return {
    id: r.id as string,
    createdAt: r.created_at as string,
    config: parse(r.config_json),
    status: r.status as SweepStatus,
    finishedAt: (r.finished_at as string | null) ?? null,
  };
}
