/**
 * Schema migrations of the results database. Migration i (0-based) brings the schema from
 * `user_version` i to i+1; they are applied in order, each in its own transaction together with the
 * `user_version` bump, so a crash never leaves a half-migrated database. Append new migrations at the end;
 * never edit a released one.
 */
import type Database from 'better-sqlite3';
import { PqvError } from '../../../common/errors.js';

export interface Migration {
  /** Short description, for error messages. */
  name: string;
  up: (db: Database.Database) => void;
}

export const MIGRATIONS: Migration[] = [
  {
    name: 'initial schema',
    up: (db) => {
      db.exec(`
        CREATE TABLE models (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          sha256 TEXT NOT NULL UNIQUE,
          path TEXT NOT NULL,
          name TEXT NOT NULL,
          summary_json TEXT,
          added_at TEXT NOT NULL
        );
        CREATE TABLE variants (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
          sha256 TEXT NOT NULL UNIQUE,
          label TEXT NOT NULL,
          spec_json TEXT,
          path TEXT,
          params INTEGER,
          bytes INTEGER,
          top1 REAL,
          top5 REAL,
          eval_n INTEGER,
          created_at TEXT NOT NULL
        );
        CREATE INDEX variants_model ON variants(model_id);
        CREATE TABLE devices (
          serial TEXT PRIMARY KEY,
          facts_json TEXT,
          last_seen TEXT NOT NULL
        );
        CREATE TABLE sweeps (
          id TEXT PRIMARY KEY,
          created_at TEXT NOT NULL,
          config_json TEXT NOT NULL,
          status TEXT NOT NULL,
          finished_at TEXT
        );
        CREATE TABLE runs (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          sweep_id TEXT REFERENCES sweeps(id) ON DELETE CASCADE,
          variant_id INTEGER REFERENCES variants(id) ON DELETE SET NULL,
          kind TEXT NOT NULL DEFAULT 'bench',
          model_sha256 TEXT NOT NULL,
          device TEXT NOT NULL,
          backend TEXT NOT NULL,
          status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'cancelled')),
          result_json TEXT,
          error_json TEXT,
          started_at TEXT NOT NULL,
          finished_at TEXT
        );
        CREATE UNIQUE INDEX runs_sweep_key ON runs(sweep_id, kind, COALESCE(variant_id, 0), device, backend) WHERE sweep_id IS NOT NULL;
        CREATE INDEX runs_model ON runs(model_sha256);
        CREATE INDEX runs_started ON runs(started_at);
      `);
    },
  },
];

/**
 * Apply pending migrations. Safe when several processes open the database at once: each step re-reads
 * `user_version` inside its write transaction. Returns the schema version after migrating.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  const step = db.transaction((): boolean => {
    const v = version();
    if (v > migrations.length) {
      throw new PqvError(
        'STORE_FAILED',
        `The results database has schema version ${v}, newer than this version of PQV Studio understands (${migrations.length}). Update PQV Studio.`,
      );
    }
    const m = migrations[v];
    if (!m) return false;
    m.up(db);
    db.pragma(`user_version = ${v + 1}`);
    return true;
  });
  while (step.immediate()) {
    /* one migration per transaction */
  }
  return version();
}
