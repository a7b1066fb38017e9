/**
 * Crash safety of `pqv sweep` with the real engine and results store: the CLI is killed with SIGKILL after its
 * first benchmark is recorded, then `--resume` completes the sweep without redoing or duplicating any run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const demo = join(root, 'resources/demo');

interface RunRow {
  id: number;
  kind: string;
  variant_id: number;
  device: string;
  backend: string;
  status: string;
  started_at: string;
}

function runsOf(home: string, sweepId: string): RunRow[] {
  const db = new Database(join(home, 'pqv.db'), { readonly: true });
  try {
    return db
      .prepare(
        'SELECT id, kind, variant_id, device, backend, status, started_at FROM runs WHERE sweep_id = ? ORDER BY id',
      )
      .all(sweepId) as RunRow[];
  } finally {
    db.close();
  }
}

describe('pqv sweep: kill and resume', () => {
  const homes: string[] = [];
  afterEach(() => {
    for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
  });

  it('completes after SIGKILL with --resume, with no run redone or recorded twice', async () => {
    const home = mkdtempSync(join(tmpdir(), 'pqv-sweep-kill-'));
    homes.push(home);
    const config = join(home, 'sweep.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'kill-resume',
        model: join(demo, 'fmnist-deit-op17.onnx'),
        dataset: join(demo, 'data/test'),
        calibDataset: join(demo, 'data/calib'),
        evalLimit: 40,
        calibLimit: 16,
        variants: [
          { quant: { mode: 'int8-dynamic' } },
          { quant: { mode: 'fp16' } },
          { prune: { method: 'l1', target: 'mlp', ratio: 0.5 } },
        ],
        targets: { devices: 'host' },
        bench: { runs: 5, warmup: 1 },
      }),
    );
    const env = { ...process.env, PQV_HOME: home };
    const cli = join(root, 'bin/pqv.mjs');

    // First attempt: killed right after the first benchmark is recorded.
    const child = spawn(process.execPath, [cli, 'sweep', '--config', config], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    const sweepId = await new Promise<string>((resolveId, reject) => {
      let id = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        id ||= /Sweep (sw-[\w-]+)/.exec(err)?.[1] ?? '';
        if (id && /^run .* on host\/host: p50/m.test(err)) {
          child.kill('SIGKILL');
          resolveId(id);
        }
      });
      child.on('exit', () => reject(new Error(`pqv sweep ended before it could be killed:\n${err}`)));
    });
    await new Promise((r) => child.once('close', r));
    expect(child.signalCode).toBe('SIGKILL');

    const before = runsOf(home, sweepId);
    const benchBefore = before.filter((r) => r.kind === 'bench');
    expect(benchBefore.length).toBeGreaterThanOrEqual(1);
    expect(benchBefore.length).toBeLessThan(4);
    expect(before.filter((r) => r.kind === 'eval')).toHaveLength(4);

    const list = spawnSync(process.execPath, [cli, 'sweep', '--list', '--json'], { env, encoding: 'utf8' });
    const listed = (JSON.parse(list.stdout) as Array<{ id: string; state: string }>).find((s) => s.id === sweepId);
    expect(listed?.state).toBe('interrupted');

    // Resume: finishes the rest from the variants cache.
    const resumed = spawnSync(process.execPath, [cli, 'sweep', '--resume', sweepId, '--json'], {
      env,
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(resumed.status, resumed.stderr).toBe(0);
    const out = JSON.parse(resumed.stdout) as {
      state: string;
      counts: { total: number; ok: number };
      rows: Array<{ label: string; top1?: number }>;
    };
    expect(out.state).toBe('done');
    expect(out.counts).toMatchObject({ total: 4, ok: 4 });
    expect(out.rows.map((r) => r.label)).toEqual(['baseline', 'int8-dynamic', 'fp16', 'l1-mlp-50']);
    expect(out.rows.every((r) => typeof r.top1 === 'number')).toBe(true);

    const after = runsOf(home, sweepId);
    const keys = after.map((r) => `${r.kind}|${r.variant_id}|${r.device}|${r.backend}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(after.filter((r) => r.kind === 'bench')).toHaveLength(4);
    expect(after.filter((r) => r.kind === 'eval')).toHaveLength(4);
    // Runs finished before the kill were kept as they were (same row, same start time).
    for (const r of before) expect(after.find((a) => a.id === r.id)).toEqual(r);
    expect(after.every((r) => r.status === 'ok')).toBe(true);
  });
});
