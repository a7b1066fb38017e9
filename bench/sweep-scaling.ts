/**
 * Sweep scaling over phones: the same sweep (3 variants of the demo model, cpu backend) on 1, 2 and 4 virtual
 * phones behind a private adb server, each phone in its own process. Every phone runs the whole variant list, so
 * with perfect scaling the wall time stays that of one phone. Prints wall times, the ratio to the 1-phone run and
 * the efficiency against that ideal.
 *
 * Run: npx tsx bench/sweep-scaling.ts [--runs 40] [--threads 1] [--phones 1,2,4]
 * Needs the `adb` binary. The virtual phones run the model on this computer's CPU, so phones beyond the number of
 * cores compete for it: the benchmark then measures the pipeline's overhead, not real phone parallelism.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { SweepSpec } from '../src/common/types/sweep.js';
import { runSweep } from '../src/main/engine/sweep/runner.js';
import { MemorySweepStore } from '../src/main/engine/sweep/store-port.js';
import { makeRunnersDir, startAdbServer } from '../test/virtual-phone/harness.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    threads: { type: 'string', default: '1' },
    phones: { type: 'string', default: '1,2,4' },
  },
});
const counts = values.phones.split(',').map(Number);
const maxPhones = Math.max(...counts);
const root = resolve(import.meta.dirname, '..');
const demo = join(root, 'resources/demo');

/** Start one virtual phone in its own process; resolves with its serial. */
function startPhone(port: number): Promise<{ serial: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/virtual-phone/cli.ts'), '--count', '1', '--adb-port', String(port)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolvePhone, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolvePhone({ serial: line.split('\t')[0]!, child }));
    child.once('exit', (code) => reject(new Error(`virtual phone exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const server = await startAdbServer();
  process.env.PQV_ADB_PORT = String(server.port);
  process.env.PQV_RUNNERS = makeRunnersDir();
  const phones: Array<{ serial: string; child: ChildProcess }> = [];
  try {
    for (let i = 0; i < maxPhones; i++) phones.push(await startPhone(server.port));
    const variantsDir = mkdtempSync(join(tmpdir(), 'pqv-scaling-variants-'));
    const spec = (serials: string[]): SweepSpec => ({
      name: `scaling ${serials.length}`,
      model: join(demo, 'fmnist-deit-op17.onnx'),
      dataset: join(demo, 'data/test'),
      evalLimit: 20,
      variants: [{ quant: { mode: 'int8-dynamic' } }, { quant: { mode: 'fp16' } }],
      targets: { devices: serials, backends: ['cpu'] },
      bench: { runs: Number(values.runs), warmup: 3, threads: Number(values.threads) },
    });
    const all = phones.map((p) => p.serial);
    // Warm-up: builds the variants and pushes runner + models to every phone, so the timed sweeps measure
    // the benchmark stage.
    process.stderr.write(`warm-up on ${all.length} phones…\n`);
    await runSweep(spec(all), { store: new MemorySweepStore(), variantsDir });

    const rows: Array<{ n: number; wallMs: number; benchMs: number }> = [];
    for (const n of counts) {
      const serials = all.slice(0, n);
      const starts = new Map<string, number>();
      let benchMs = 0;
      const t0 = performance.now();
      const res = await runSweep(spec(serials), {
        store: new MemorySweepStore(),
        variantsDir,
        onEvent: (e) => {
          if (e.type !== 'stage' || e.stage !== 'benchmark' || !e.device) return;
          const key = `${e.variant}|${e.device}|${e.backend}`;
          if (e.state === 'start') starts.set(key, performance.now());
          else benchMs += performance.now() - (starts.get(key) ?? performance.now());
        },
      });
      const wallMs = performance.now() - t0;
      if (res.counts.ok !== res.counts.total) throw new Error(`sweep on ${n} phones: ${res.counts.failed} runs failed`);
      rows.push({ n, wallMs, benchMs });
      process.stderr.write(`${n} phone(s): ${(wallMs / 1000).toFixed(2)} s\n`);
    }

    const one = rows.find((r) => r.n === 1) ?? rows[0]!;
    process.stdout.write(`\nSweep scaling (${cpus().length} host cores, ${values.runs} runs/benchmark, ${values.threads} thread(s) per phone run)\n`);
    process.stdout.write('phones  wall s   vs 1 phone  ideal  efficiency  bench share\n');
    for (const r of rows) {
      const ratio = r.wallMs / one.wallMs;
      // Every phone does the same work: ideal wall time equals the 1-phone wall time.
      const efficiency = one.wallMs / r.wallMs;
      const share = r.benchMs / (r.wallMs * r.n);
      process.stdout.write(
        `${String(r.n).padEnd(8)}${(r.wallMs / 1000).toFixed(2).padEnd(9)}${ratio.toFixed(2).padEnd(12)}1.00   ${(efficiency * 100).toFixed(0).padStart(4)} %      ${(share * 100).toFixed(0)} %\n`,
      );
    }
    process.stdout.write('efficiency = wall(1 phone) / wall(N phones); ≥ 87 % is within 15 % of ideal scaling.\n');
  } finally {
    for (const p of phones) p.child.kill('SIGINT');
    await server.stop();
  }
}

await main();
