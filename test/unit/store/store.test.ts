import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../../src/main/engine/store/migrations.js';
import { dbPath, pqvHome, runnersDir, uploadsDir, variantsDir } from '../../../src/main/engine/store/paths.js';
import { ResultsStore } from '../../../src/main/engine/store/results-store.js';

const open: ResultsStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function freshStore(): { store: ResultsStore; file: string } {
  const home = mkdtempSync(join(tmpdir(), 'pqv-store-'));
  const file = dbPath(home);
  const store = ResultsStore.open(file);
  open.push(store);
  return { store, file };
}

function child(
  file: string,
  mode: 'close' | 'kill',
  sha: string,
): { status: number | null; signal: string | null; out: { id: number; runs: string[] } | null } {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', resolve('test/unit/store/store-child.ts'), file, mode, sha],
    { encoding: 'utf8' },
  );
  const line = r.stdout.trim().split('\n').at(-1);
  return {
    status: r.status,
    signal: r.signal,
    out: line ? (JSON.parse(line) as { id: number; runs: string[] }) : null,
  };
}

describe('paths', () => {
  it('uses PQV_HOME, else the XDG config folder on Linux, and platform folders elsewhere', () => {
    expect(pqvHome({ PQV_HOME: '/data/pqv' }, 'linux')).toBe('/data/pqv');
    expect(pqvHome({ HOME: '/home/u', XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe('/cfg/pqv-studio');
    expect(pqvHome({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.config/pqv-studio');
    expect(pqvHome({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Application Support/pqv-studio');
    expect(pqvHome({ HOME: 'C:\\Users\\u', APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toContain(
      'pqv-studio',
    );
    expect([dbPath('/h'), uploadsDir('/h'), variantsDir('/h'), runnersDir('/h')]).toEqual([
      '/h/pqv.db',
      '/h/uploads',
      '/h/variants',
      '/h/runners',
    ]);
  });
});

describe('ResultsStore', () => {
  it('migrates once: reopening keeps the schema version and the data', () => {
    const { store, file } = freshStore();
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const id = store.upsertModel({ sha256: 'm1', path: '/models/a.onnx', summary: { params: 10 } });
    store.close();
    const again = ResultsStore.open(file);
    open.push(again);
    expect(again.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(migrate(again.db)).toBe(MIGRATIONS.length);
    expect(again.getModel('m1')).toMatchObject({ id, name: 'a.onnx', path: '/models/a.onnx', summary: { params: 10 } });
  });

  it('refuses a database from a newer version', () => {
    const { store, file } = freshStore();
    store.db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    store.close();
    expect(() => ResultsStore.open(file)).toThrow(expect.objectContaining({ code: 'STORE_FAILED' }));
  });

  it('upserts models and variants by content hash', () => {
    const { store } = freshStore();
    const a = store.upsertModel({ sha256: 'same', path: '/a.onnx' });
    const b = store.upsertModel({ sha256: 'same', path: '/moved/a.onnx' });
    expect(b).toBe(a);
    expect(store.listModels()).toHaveLength(1);
    expect(store.getModel('same')?.path).toBe('/moved/a.onnx');
    const v = store.upsertVariant({ modelId: a, sha256: 'v', label: 'prune 30%', params: 5, top1: 0.8 });
    expect(store.upsertVariant({ modelId: a, sha256: 'v', label: 'prune 30%', bytes: 100 })).toBe(v);
    expect(store.getVariant(v)).toMatchObject({ params: 5, bytes: 100, top1: 0.8, label: 'prune 30%' });
    expect(store.listVariants(a)).toHaveLength(1);
  });

  it('records a sweep run once per (sweep, variant, device, backend), standalone runs every time', () => {
    const { store } = freshStore();
    const m = store.upsertModel({ sha256: 'm', path: '/m.onnx' });
    const v = store.upsertVariant({ modelId: m, sha256: 'v', label: 'v' });
    store.createSweep({ id: 'sw', config: { variants: 1 } });
    const key = { sweepId: 'sw', variantId: v, modelSha256: 'v', device: 'host', backend: 'host' } as const;
    const first = store.recordRun({ ...key, status: 'failed', error: { code: 'BENCH_FAILED', message: 'boom' } });
    const second = store.recordRun({ ...key, status: 'ok', result: { p50Ms: 2 } });
    expect(second).toBe(first);
    store.recordRun({ ...key, backend: 'xnnpack', device: 'R5CT', status: 'ok' });
    store.recordRun({ ...key, kind: 'eval', status: 'ok', result: { top1: 0.9 } });
    const runs = store.listRuns({ sweepId: 'sw', kind: 'bench', backend: 'host' });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'ok', result: { p50Ms: 2 }, error: null, variantId: v });
    expect(store.listRuns({ sweepId: 'sw' })).toHaveLength(3);
    store.recordRun({ modelSha256: 'm', device: 'host', backend: 'host', status: 'ok' });
    store.recordRun({ modelSha256: 'm', device: 'host', backend: 'host', status: 'cancelled' });
    expect(store.listRuns({ sweepId: null }).map((r) => r.status)).toEqual(['cancelled', 'ok']);
    expect(store.listRuns({ limit: 2 })).toHaveLength(2);
  });

  it('tracks sweep status and devices', () => {
    const { store } = freshStore();
    expect(store.createSweep({ id: 's1', config: { a: 1 } })).toMatchObject({
      id: 's1',
      status: 'pending',
      config: { a: 1 },
      finishedAt: null,
    });
    store.updateSweepStatus('s1', 'running');
    expect(store.getSweep('s1')?.finishedAt).toBeNull();
    store.updateSweepStatus('s1', 'done');
    expect(store.getSweep('s1')?.finishedAt).not.toBeNull();
    expect(() => store.updateSweepStatus('nope', 'done')).toThrow(expect.objectContaining({ code: 'SWEEP_NOT_FOUND' }));
    expect(store.listSweeps().map((s) => s.id)).toEqual(['s1']);
    store.upsertDevice('R5CT', { model: 'SM-S911B' });
    store.upsertDevice('R5CT', undefined);
    expect(store.listDevices()).toEqual([expect.objectContaining({ serial: 'R5CT', facts: { model: 'SM-S911B' } })]);
  });

  it('shares the database with a second process while open, and keeps runs of a process that crashed', () => {
    const { store, file } = freshStore();
    store.recordRun({ modelSha256: 'parent', device: 'host', backend: 'host', status: 'ok' });
    // A second process opens the same database while this one holds it open in WAL mode.
    const ok = child(file, 'close', 'child-clean');
    expect(ok.status).toBe(0);
    expect(ok.out?.runs).toEqual(['child-clean', 'parent']);
    // A process killed right after recording (no close, WAL not checkpointed) loses nothing.
    const crashed = child(file, 'kill', 'child-crashed');
    expect(crashed.signal).toBe('SIGKILL');
    expect(existsSync(`${file}-wal`)).toBe(true);
    expect(store.listRuns().map((r) => r.modelSha256)).toEqual(['child-crashed', 'child-clean', 'parent']);
    // And the file is a healthy SQLite database.
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
  });
});
