/**
 * `pqv recover` end to end on the demo model pruned by `pqv prune` (few images and steps), and its
 * coded errors for bad arguments.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const demo = resolve('resources/demo/fmnist-deit-op17.onnx');
const calib = resolve('resources/demo/data/calib');
const test = resolve('resources/demo/data/test');
const tmp = mkdtempSync(join(tmpdir(), 'pqv-recover-'));

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pqv(...args: string[]): Promise<Result> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [resolve('bin/pqv.mjs'), ...args], {
      env: { ...process.env, PQV_HOME: join(tmp, 'home') },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}

interface Stats {
  kl: number;
  top1: number;
  agreement: number;
  images: number;
}

describe('pqv recover', () => {
  it('reconstructs and distils a pruned model and reports the held-out KL before and after', async () => {
    const pruned = join(tmp, 'pruned.onnx');
    const p = await pqv('prune', demo, '-o', pruned, '--target', 'mlp', '--ratio', '0.3', '--json');
    expect(p.code).toBe(0);
    const out = join(tmp, 'out', 'recovered.onnx');
    const r = await pqv(
      'recover',
      pruned,
      '--teacher',
      demo,
      '-o',
      out,
      '--data',
      calib,
      '--samples',
      '24',
      '--method',
      'both',
      '--layers',
      'pruned',
      '--steps',
      '2',
      '--lr',
      '1e-5',
      '--val',
      test,
      '--val-samples',
      '40',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      output: string;
      method: string;
      calibrationImages: number;
      evaluatedOn: { source: string; images: number };
      before: Stats;
      afterReconstruct: Stats;
      after: Stats;
      reconstruction: { layers: Array<{ role: string; errorBefore: number; errorAfter: number; skipped?: string }> };
      distillation: { steps: number; losses: number[] };
    };
    expect(report).toMatchObject({
      output: out,
      method: 'both',
      calibrationImages: 24,
      evaluatedOn: { source: 'validation', images: 40 },
    });
    expect(existsSync(out)).toBe(true);
    expect(existsSync(join(tmp, 'out', 'recovered.preprocess.json'))).toBe(true);
    const fitted = report.reconstruction.layers.filter((l) => !l.skipped);
    // MLP pruning: the layers whose input was pruned are the six fc2.
    expect(fitted.map((l) => l.role)).toEqual(Array(6).fill('fc2'));
    for (const l of fitted) expect(l.errorAfter).toBeLessThan(l.errorBefore);
    expect(report.afterReconstruct.kl).toBeLessThan(report.before.kl);
    expect(report.distillation.losses).toHaveLength(2);
    // The recovered model is a working model: evaluate it.
    const ev = await pqv('eval', out, '--data', test, '--limit', '20', '--json', '--no-store');
    expect(ev.code).toBe(0);
  });

  it('rejects an unknown method and a missing teacher with coded errors', async () => {
    const m = await pqv(
      'recover',
      demo,
      '--teacher',
      demo,
      '-o',
      join(tmp, 'x.onnx'),
      '--data',
      calib,
      '--method',
      'magic',
      '--json',
    );
    expect(m.code).toBe(2);
    expect(JSON.parse(m.stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    const t = await pqv(
      'recover',
      demo,
      '--teacher',
      join(tmp, 'missing.onnx'),
      '-o',
      join(tmp, 'x.onnx'),
      '--data',
      calib,
      '--json',
    );
    expect(t.code).toBe(2);
    expect(JSON.parse(t.stdout)).toMatchObject({ error: { code: 'FILE_NOT_FOUND' } });
  });
});
