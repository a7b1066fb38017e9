/**
 * Push throughput: adbkit's sync push (as used by the app) vs the `adb push` CLI, same 50 MB file, same
 * virtual phone (in its own process), same private adb server. Alternating rounds; prints medians and
 * the ratio adbkit / CLI (goal ≥ 0.9).
 *
 *   npx tsx bench/push-throughput.ts [--mb 50] [--rounds 3]
 */
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { adbClient } from '../src/main/engine/devices/adb-server.js';
import { pushFile } from '../src/main/engine/devices/deploy.js';
import { startAdbServer } from '../test/virtual-phone/harness.js';

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '50' }, rounds: { type: 'string', default: '3' } },
});
const bytes = Number(values.mb) * 1024 * 1024;
const rounds = Number(values.rounds);

const server = await startAdbServer();
const phoneProc = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    path.join(import.meta.dirname, '../test/virtual-phone/cli.ts'),
    '--count',
    '1',
    '--adb-port',
    String(server.port),
  ],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const serial = await new Promise<string>((resolve, reject) => {
  let buf = '';
  phoneProc.stdout.on('data', (c: Buffer) => {
    buf += c.toString();
    const line = buf.split('\n').find((l) => /^127\.0\.0\.1:\d+\t/.test(l));
    if (line) resolve(line.split('\t')[0]!);
  });
  phoneProc.once('exit', () => reject(new Error('virtual phone exited')));
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-push-bench-'));
const file = path.join(tmp, 'blob.bin');
fs.writeFileSync(file, crypto.randomBytes(bytes));
const client = await adbClient({ port: server.port });

const cliPush = (remote: string): Promise<void> =>
  new Promise((resolve, reject) =>
    execFile(
      'adb',
      ['-P', String(server.port), '-s', serial, 'push', file, remote],
      { env: server.env },
      (e, _o, err) => (e ? reject(new Error(err)) : resolve()),
    ),
  );

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kit: number[] = [];
const cli: number[] = [];
try {
  // Warm both paths once (connection setup, page cache).
  await pushFile(client, serial, file, '/data/local/tmp/pqv/bench/warm-kit.bin');
  await cliPush('/data/local/tmp/pqv/bench/warm-cli.bin');
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    await pushFile(client, serial, file, `/data/local/tmp/pqv/bench/kit-${i}.bin`);
    kit.push(bytes / ((performance.now() - t) / 1000));
    t = performance.now();
    await cliPush(`/data/local/tmp/pqv/bench/cli-${i}.bin`);
    cli.push(bytes / ((performance.now() - t) / 1000));
  }
  const mbps = (x: number): string => `${(x / 1024 / 1024).toFixed(1)} MB/s`;
  process.stdout.write(`file ${values.mb} MB, ${rounds} rounds, device ${serial}\n`);
  process.stdout.write(`adbkit push : median ${mbps(median(kit))}  (${kit.map(mbps).join(', ')})\n`);
  process.stdout.write(`adb push CLI: median ${mbps(median(cli))}  (${cli.map(mbps).join(', ')})\n`);
  const paired = kit.map((k, i) => k / cli[i]!);
  process.stdout.write(
    `ratio adbkit/CLI = ${(median(kit) / median(cli)).toFixed(2)} (median of per-round ratios ${median(paired).toFixed(2)}; goal >= 0.9)\n`,
  );
} finally {
  phoneProc.kill('SIGTERM');
  await new Promise((r) => phoneProc.once('exit', r));
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
