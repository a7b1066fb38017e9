/**
 * Sweep scaling over phones: the same sweep (baseline, int8-dynamic and fp16 of the demo model, cpu backend) on
 * 1, 2 and 4 phones. Every phone runs the whole variant list, so with perfect scaling the wall time stays that of
 * one phone. Prints, per phone count, the median wall time, its ratio to the 1-phone run and the efficiency
 * against that ideal, for two set-ups:
 *
 * - `adb`: virtual phones behind a private adb server, each phone in its own process, benchmarked through the
 *   real device layer. The virtual phones run the model on this computer's CPU, so once phones outnumber the
 *   cores they compete for it; this measures the whole stack on this computer, not real phone parallelism.
 * - `simulated`: the real sweep engine (variants cache, evaluation on this computer, per-phone queues, store),
 *   with each on-device benchmark replaced by a timed wait of `--sim-ms` (a phone busy with its own CPU). This
 *   isolates the pipeline's own scaling.
 *
 * Run: npx tsx bench/sweep-scaling.ts [--mode both|adb|simulated] [--runs 40] [--threads 1] [--phones 1,2,4]
 *      [--rounds 3] [--sim-ms 1500]
 * Rounds are interleaved (1, 2, 4, 1, 2, 4, …); the median of each phone count is reported. Needs `adb` for `adb`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Backend, BenchResult } from '../src/common/types/bench.js';
import type { SweepSpec } from '../src/common/types/sweep.js';
import type { EnginePorts } from '../src/main/engine/sweep/engine-ports.js';
import { sleep } from '../src/main/engine/sweep/lanes.js';
import { runSweep } from '../src/main/engine/sweep/runner.js';
import { MemorySweepStore } from '../src/main/engine/sweep/store-port.js';
import { makeRunnersDir, startAdbServer } from '../test/virtual-phone/harness.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'both' },
    runs: { type: 'string', default: '40' },
    threads: { type: 'string', default: '1' },
    phones: { type: 'string', default: '1,2,4' },
    rounds: { type: 'string', default: '3' },
    'sim-ms': { type: 'string', default: '1500' },
  },
});
const counts = values.phones.split(',').map(Number);
const maxPhones = Math.max(...counts);
const rounds = Number(values.rounds);
const root = resolve(import.meta.dirname, '..');
const demo = join(root, 'resources/demo');
const variantsDir = mkdtempSync(join(tmpdir(), 'pqv-scaling-variants-'));

function spec(serials: string[]): SweepSpec {
  return {
    name: `scaling ${serials.length}`,
    model: join(demo, 'fmnist-deit-op17.onnx'),
    dataset: join(demo, 'data/test'),
    evalLimit: 20,
    variants: [{ quant: { mode: 'int8-dynamic' } }, { quant: { mode: 'fp16' } }],
    targets: { devices: serials, backends: ['cpu'] },
    bench: { runs: Number(values.runs), warmup: 3, threads: Number(values.threads) },
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Time the sweep on the first 1, 2, 4… of `serials`, interleaving rounds; print the table. */
async function measure(title: string, serials: string[], ports?: Partial<EnginePorts>): Promise<void> {
  process.stderr.write(`${title}: warm-up on ${serials.length} phones…\n`);
  await runSweep(spec(serials), { store: new MemorySweepStore(), variantsDir, ...(ports ? { ports } : {}) });
  const samples = new Map<number, number[]>(counts.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (const n of counts) {
      const t0 = performance.now();
      const res = await runSweep(spec(serials.slice(0, n)), {
        store: new MemorySweepStore(),
        variantsDir,
        ...(ports ? { ports } : {}),
      });
      const wallMs = performance.now() - t0;
      if (res.counts.ok !== res.counts.total) throw new Error(`sweep on ${n} phones: ${res.counts.failed} runs failed`);
      samples.get(n)!.push(wallMs);
      process.stderr.write(`  round ${round + 1}, ${n} phone(s): ${(wallMs / 1000).toFixed(2)} s\n`);
    }
  }
  const one = median(samples.get(counts[0]!)!);
  process.stdout.write(`\n${title} (${cpus().length} host cores, median of ${rounds} rounds)\n`);
  process.stdout.write('phones  wall s   vs 1 phone  ideal  efficiency\n');
  for (const n of counts) {
    const wall = median(samples.get(n)!);
    process.stdout.write(
      `${String(n).padEnd(8)}${(wall / 1000).toFixed(2).padEnd(9)}${(wall / one).toFixed(2).padEnd(12)}1.00   ${((one / wall) * 100).toFixed(0).padStart(4)} %\n`,
    );
  }
}

/** Start one virtual phone in its own process; resolves with its serial. */
function startPhone(port: number): Promise<{ serial: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'test/virtual-phone/cli.ts'), '--count', '1', '--adb-port', String(port)],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return new Promise((resolvePhone, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => resolvePhone({ serial: line.split('\t')[0]!, child }));
    child.once('exit', (code) => reject(new Error(`virtual phone exited with ${code}`)));
  });
}

async function adbMode(): Promise<void> {
  const server = await startAdbServer();
  process.env.PQV_ADB_PORT = String(server.port);
  process.env.PQV_RUNNERS = makeRunnersDir();
  const phones: Array<{ serial: string; child: ChildProcess }> = [];
  try {
    for (let i = 0; i < maxPhones; i++) phones.push(await startPhone(server.port));
    await measure(
      `Virtual phones over adb (${values.runs} runs/benchmark, ${values.threads} thread(s))`,
      phones.map((p) => p.serial),
    );
  } finally {
    // Phones disconnect themselves on SIGINT; stop the server only after they are gone (an adb call after
    // kill-server would start it again).
    await Promise.all(
      phones.map(
        (p) =>
          new Promise<void>((done) => {
            if (p.child.exitCode !== null) return done();
            p.child.once('exit', () => done());
            p.child.kill('SIGINT');
          }),
      ),
    );
    await server.stop();
  }
}

async function simulatedMode(): Promise<void> {
  const serials = Array.from({ length: maxPhones }, (_, i) => `SIM${i + 1}`);
  const simMs = Number(values['sim-ms']);
  const result = (serial: string, backend: Backend): BenchResult => ({
    device: serial,
    backend,
    initMs: 50,
    firstMs: 20,
    meanMs: 10,
    p50Ms: 10,
    p90Ms: 11,
    p99Ms: 12,
    minMs: 9,
    maxMs: 13,
    stdMs: 0.5,
    peakRssBytes: 1e8,
    runs: Number(values.runs),
    warmup: 3,
    threads: Number(values.threads),
  });
  const ports: Partial<EnginePorts> = {
    listDevices: async () => serials.map((serial) => ({ serial, state: 'device', backends: ['cpu'] })),
    deviceBackends: async () => ['cpu'],
    benchDevice: async (serial, _path, backend, _o, { signal }) => {
      await sleep(simMs, signal);
      return result(serial, backend);
    },
  };
  await measure(`Simulated phones, ${simMs} ms per on-device benchmark`, serials, ports);
}

if (values.mode === 'both' || values.mode === 'simulated') await simulatedMode();
if (values.mode === 'both' || values.mode === 'adb') await adbMode();
