import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResultsStore } from '../../../src/main/engine/store/results-store.js';
import { dbPath } from '../../../src/main/engine/store/paths.js';

const demo = resolve('resources/demo/fmnist-deit-op17.onnx');
const testDir = resolve('resources/demo/data/test');
const tmp = mkdtempSync(join(tmpdir(), 'pqv-cli-'));
const home = join(tmp, 'home');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pqv(...args: string[]): Promise<Result> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [resolve('bin/pqv.mjs'), ...args], { env: { ...process.env, PQV_HOME: home } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

function jsonOf(r: Result): Record<string, unknown> {
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const bytes = new Uint8Array(readFileSync(demo));
const bad = {
  empty: ['empty.onnx', new Uint8Array(0), 'MODEL_EMPTY'],
  random: ['random.onnx', new Uint8Array(3000).map((_, i) => (i * 2654435761) >>> 24), 'MODEL_INVALID'],
  truncated: ['truncated.onnx', bytes.subarray(0, bytes.length >> 1), 'MODEL_TRUNCATED'],
} as const;
for (const [name, data] of Object.values(bad)) writeFileSync(join(tmp, name), data);

describe('pqv inspect', () => {
  it('prints the summary as JSON', async () => {
    const r = await pqv('inspect', demo, '--json');
    expect(r.code).toBe(0);
    expect(jsonOf(r)).toMatchObject({
      opset: 17,
      inputs: [{ name: 'pixel_values', shape: ['batch', 1, 28, 28] }],
      bytes: bytes.length,
    });
  });

  it('prints a readable table without --json', async () => {
    const r = await pqv('inspect', demo);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Opset\s+17/);
    expect(r.stdout).toMatch(/pixel_values\s+float32\s+\[batch, 1, 28, 28\]/);
  });

  it.each(Object.values(bad))('%s → coded error, exit code 2, no stack trace', async (name, _data, code) => {
    const r = await pqv('inspect', join(tmp, name), '--json');
    expect(r.code).toBe(2);
    expect(jsonOf(r)).toMatchObject({ error: { code } });
    const text = await pqv('inspect', join(tmp, name));
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(new RegExp(`^error ${code}: `));
    expect(text.stderr).not.toMatch(/\n\s+at /);
  });

  it('missing file and directory → FILE_NOT_FOUND and NOT_A_FILE', async () => {
    const missing = await pqv('inspect', join(tmp, 'missing.onnx'), '--json');
    expect([missing.code, jsonOf(missing)]).toEqual([
      2,
      { error: expect.objectContaining({ code: 'FILE_NOT_FOUND' }) },
    ]);
    const dir = await pqv('inspect', tmp, '--json');
    expect([dir.code, jsonOf(dir)]).toEqual([2, { error: expect.objectContaining({ code: 'NOT_A_FILE' }) }]);
  });
});

describe('pqv bench and pqv eval', () => {
  it('bench --json benchmarks on the host and records the run', async () => {
    const r = await pqv('bench', demo, '--runs', '3', '--warmup', '1', '--json');
    expect(r.code).toBe(0);
    const out = jsonOf(r);
    expect(out).toMatchObject({ device: 'host', backend: 'host', runs: 3, warmup: 1 });
    expect(out.p50Ms).toBeGreaterThan(0);
    const store = ResultsStore.open(dbPath(home));
    try {
      const runs = store.listRuns({ kind: 'bench', sweepId: null });
      expect(runs[0]).toMatchObject({ status: 'ok', device: 'host', result: { p50Ms: out.p50Ms } });
    } finally {
      store.close();
    }
  });

  it('eval --json prints top-1/top-5 and records the run; --no-store records nothing', async () => {
    const r = await pqv('eval', demo, '--data', testDir, '--limit', '50', '--json');
    expect(r.code).toBe(0);
    const out = jsonOf(r);
    expect(out).toMatchObject({ n: 50 });
    expect(out.top1).toBeGreaterThan(0.8);
    const count = (): number => {
      const s = ResultsStore.open(dbPath(home));
      try {
        return s.listRuns({ kind: 'eval' }).length;
      } finally {
        s.close();
      }
    };
    const before = count();
    expect(before).toBeGreaterThanOrEqual(1);
    const again = await pqv('eval', demo, '--data', testDir, '--limit', '20', '--no-store', '--json');
    expect(again.code).toBe(0);
    expect(count()).toBe(before);
  });

  it.each(Object.values(bad))('bench and eval on %s → coded error, exit code 2', async (name, _data, code) => {
    const b = await pqv('bench', join(tmp, name), '--runs', '1', '--json');
    expect([b.code, jsonOf(b)]).toEqual([2, { error: expect.objectContaining({ code }) }]);
    const e = await pqv('eval', join(tmp, name), '--data', testDir, '--limit', '5', '--json');
    expect([e.code, jsonOf(e)]).toEqual([2, { error: expect.objectContaining({ code }) }]);
  });

  it('eval on a dataset folder without classes → DATASET_INVALID; bad flags → INVALID_ARGUMENT', async () => {
    const flat = join(tmp, 'flat');
    mkdirSync(flat);
    writeFileSync(join(flat, 'notes.txt'), 'no images here');
    const e = await pqv('eval', demo, '--data', flat, '--json');
    expect([e.code, jsonOf(e)]).toEqual([2, { error: expect.objectContaining({ code: 'DATASET_INVALID' }) }]);
    const f = await pqv('bench', demo, '--runs', 'many', '--json');
    expect([f.code, jsonOf(f)]).toEqual([2, { error: expect.objectContaining({ code: 'INVALID_ARGUMENT' }) }]);
    const g = await pqv('bench', demo, '--backend', 'nnapi', '--json');
    expect([g.code, jsonOf(g)]).toEqual([2, { error: expect.objectContaining({ code: 'BACKEND_UNSUPPORTED' }) }]);
  });
});
