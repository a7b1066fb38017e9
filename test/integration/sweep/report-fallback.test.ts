/**
 * `pqv sweep --report OUT.pdf` on a machine without Chromium: the sweep still succeeds and the same report is
 * written as HTML next to the requested PDF, with the install command on stderr.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');
const demo = join(root, 'resources/demo');

describe('pqv sweep: report without Chromium', () => {
  const home = mkdtempSync(join(tmpdir(), 'pqv-sweep-report-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('writes the report as HTML and exits 0', () => {
    const config = join(home, 'sweep.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'report-fallback',
        model: join(demo, 'fmnist-deit-op17.onnx'),
        dataset: join(demo, 'data/test'),
        evalLimit: 20,
        variants: [],
        targets: { devices: 'host' },
        bench: { runs: 3, warmup: 1 },
      }),
    );
    const pdf = join(home, 'out', 'report.pdf');
    const r = spawnSync(process.execPath, [join(root, 'bin/pqv.mjs'), 'sweep', '--config', config, '--report', pdf], {
      env: { ...process.env, PQV_HOME: home, PQV_CHROMIUM: join(home, 'no-chromium-here') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(pdf)).toBe(false);
    const html = readFileSync(join(home, 'out', 'report.html'), 'utf8');
    expect(html).toContain('Sweep report');
    expect(html).toContain('baseline');
    expect(r.stderr).toContain('apt-get install -y chromium');
    expect(r.stdout).toContain('report.html');
  });
});
