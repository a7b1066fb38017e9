/**
 * `benchOnDevice`: benchmark an ONNX model on a phone with onnxruntime_perf_test — check the phone,
 * read its facts, deploy runner and model (cached), wait until it is cool, run (optional separate warm-up
 * run), parse the output, per-run CSV and profile, and clean up. Returns the host bench's JSON keys plus
 * `backend`, `device`, `placement` and `thermal`.
 */
import crypto from 'node:crypto';
import type { BenchOptions, BenchResult, Backend } from '../../../common/types/bench.js';
import type { DeviceFacts } from '../../../common/types/devices.js';
import { PqvError, throwIfAborted } from '../../../common/errors.js';
import type { LongOperationOptions } from '../../../common/progress.js';
import { adbClient, mapAdbError, type AdbClient, type AdbServerOptions } from './adb-server.js';
import { hintFor } from './discovery.js';
import { readDeviceFacts } from './facts.js';
import { resolveRunner, PERF_TEST_BINARY, type Runner, type RunnerOptions, type RunnerWarning } from './runners.js';
import { DEVICE_ROOT, deployModel, deployRunner } from './deploy.js';
import { runShell } from './device-shell.js';
import { shellJoin, shellQuote } from './shell-quote.js';
import { perfTestArgs, type DeviceBackend, type GpuProvider } from './perf-args.js';
import { parsePerfTestOutput, parseResultCsv } from './perf-output.js';
import { latencyStats, percentileSorted } from '../bench/stats.js';
import { parseProfilePlacement } from './placement.js';
import { cancellableSleep, readThermal, waitForCool, type ThermalPolicy } from './thermal.js';
import { classifyRunnerFailure } from './runner-errors.js';

/** Options of an on-device benchmark (on top of the shared BenchOptions). */
export interface DeviceBenchOptions extends BenchOptions {
  /** Which adb server to use. */
  adb?: AdbServerOptions;
  /** Where the runner binaries are (settings; default PQV_RUNNERS). */
  runners?: RunnerOptions;
  /** Fail instead of silently running unsupported operators on the CPU EP. */
  disableCpuFallback?: boolean;
  /** Collect a profile and report operator placement. Default true. */
  placement?: boolean;
  /** Thermal hygiene; `false` only records temperatures. */
  thermal?: ThermalPolicy | false;
  /** How `gpu` is reached: QNN GPU (default) or WebGPU. */
  gpuProvider?: GpuProvider;
  /** QNN HTP performance mode for `npu` (default burst). */
  htpPerformanceMode?: string;
  /** NNAPI fp16 relaxation (default true). */
  nnapiFp16?: boolean;
  /** Keep the per-run folder on the phone (default false). */
  keepRunFiles?: boolean;
  /** Upper bound for one runner invocation (ms). Default 10 minutes. */
  runnerTimeoutMs?: number;
}

const DEVICE_BACKENDS: DeviceBackend[] = ['cpu', 'xnnpack', 'nnapi', 'gpu', 'npu'];

async function pullText(client: AdbClient, serial: string, remotePath: string): Promise<string> {
  const transfer = await client.getDevice(serial).pull(remotePath);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    transfer.on('data', (c: Buffer) => chunks.push(c));
    transfer.on('end', () => resolve());
    transfer.on('error', (e: unknown) => reject(mapAdbError(e, serial)));
  });
  return Buffer.concat(chunks).toString('utf8');
}

async function checkState(client: AdbClient, serial: string): Promise<void> {
  let devices: Array<{ id: string; type: string }>;
  try {
    devices = await client.listDevices();
  } catch (e) {
    throw mapAdbError(e, serial);
  }
  const d = devices.find((x) => x.id === serial);
  if (!d)
    throw new PqvError(
      'DEVICE_NOT_FOUND',
      `${serial} is not connected. Plug it in (or \`adb connect\` it) and check \`pqv devices\`.`,
      { serial },
    );
  if (d.type === 'unauthorized')
    throw new PqvError('DEVICE_UNAUTHORIZED', `${serial} is unauthorized. ${hintFor('unauthorized')}`, { serial });
  if (d.type === 'offline')
    throw new PqvError('DEVICE_OFFLINE', `${serial} is offline. ${hintFor('offline')}`, { serial });
}

interface RunContext {
  client: AdbClient;
  serial: string;
  runner: Runner;
  runnerDir: string;
  runDir: string;
  backend: DeviceBackend;
  facts: DeviceFacts;
}

/** The full shell command for one perf_test invocation. */
export function runnerCommand(
  ctx: { runnerDir: string; runDir: string; backend: DeviceBackend; cpuMask?: string },
  args: string[],
): string {
  const env = [
    `LD_LIBRARY_PATH=${shellQuote(ctx.runnerDir)}`,
    `ADSP_LIBRARY_PATH=${shellQuote(`${ctx.runnerDir};/vendor/lib/rfsa/adsp;/vendor/dsp/cdsp;/system/lib/rfsa/adsp;/dsp`)}`,
  ];
  const pin = ctx.backend === 'cpu' && ctx.cpuMask ? `taskset ${shellQuote(ctx.cpuMask)} ` : '';
  return `cd ${shellQuote(ctx.runDir)} && ${env.join(' ')} ${pin}${shellQuote(`${ctx.runnerDir}/${PERF_TEST_BINARY}`)} ${shellJoin(args)} 2>&1`;
}

async function invoke(
  ctx: RunContext,
  args: string[],
  opts: { signal?: AbortSignal; timeoutMs?: number },
): Promise<string> {
  const cmd = runnerCommand({ ...ctx, cpuMask: ctx.facts.bigCoreMask }, args);
  const r = await runShell(ctx.client, ctx.serial, cmd, { signal: opts.signal, timeoutMs: opts.timeoutMs ?? 600_000 });
  if (r.exitCode !== 0)
    throw classifyRunnerFailure(r.exitCode, r.output, {
      serial: ctx.serial,
      backend: ctx.backend,
      runnerVersion: ctx.runner.version,
    });
  return r.output;
}

/**
 * Benchmark `modelPath` on phone `serial` with `backend`. Throws coded errors (DEVICE_*, RUNNER_*,
 * BACKEND_UNSUPPORTED, BENCH_*) and CancelledError.
 */
export async function benchOnDevice(
  serial: string,
  modelPath: string,
  backend: Backend,
  options: DeviceBenchOptions = {},
  { signal, onProgress }: LongOperationOptions = {},
): Promise<BenchResult> {
  if (!DEVICE_BACKENDS.includes(backend as DeviceBackend)) {
    throw new PqvError(
      'BACKEND_UNSUPPORTED',
      `Backend "${backend}" cannot run on a phone. Use one of: ${DEVICE_BACKENDS.join(', ')}.`,
    );
  }
  const devBackend = backend as DeviceBackend;
  const runs = options.runs ?? 50;
  const warmup = options.warmup ?? 5;
  const client = await adbClient(options.adb);
  await checkState(client, serial);
  onProgress?.({ stage: 'prepare', done: 0, total: 1, detail: 'reading device facts', device: serial });
  const facts = await readDeviceFacts(client, serial, signal);
  const runner = await resolveRunner(facts.abis, options.runners);
  const warnings: RunnerWarning[] = [...runner.warnings];
  if (options.inputPath)
    warnings.push({
      code: 'INVALID_ARGUMENT',
      message: 'inputPath is not used on phones: the runner generates inputs (-I).',
    });
  const runnerDeploy = await deployRunner(client, serial, runner, { signal, onProgress });
  const model = await deployModel(client, serial, modelPath, { signal, onProgress });
  const runId = `${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`;
  const runDir = `${DEVICE_ROOT}/runs/${runId}`;
  const mk = await runShell(client, serial, shellJoin(['mkdir', '-p', runDir]), { signal, timeoutMs: 30_000 });
  if (mk.exitCode !== 0)
    throw new PqvError('BENCH_FAILED', `Cannot create ${runDir} on ${serial}: ${mk.output.trim()}`, { serial });
  const ctx: RunContext = {
    client,
    serial,
    runner,
    runnerDir: runnerDeploy.remotePath,
    runDir,
    backend: devBackend,
    facts,
  };
  const threads =
    options.threads && options.threads > 0
      ? options.threads
      : devBackend === 'cpu' || devBackend === 'xnnpack'
        ? facts.bigCores.length
        : 0;
  const common = {
    backend: devBackend,
    threads,
    modelPath: model.remotePath,
    disableCpuFallback: options.disableCpuFallback,
    gpuProvider: options.gpuProvider,
    htpPerformanceMode: options.htpPerformanceMode,
    nnapiFp16: options.nnapiFp16,
  };
  try {
    const policy = options.thermal === false ? null : (options.thermal ?? {});
    onProgress?.({ stage: 'cooldown', done: 0, total: 1, device: serial });
    const before = policy
      ? await waitForCool(client, serial, policy, { signal, onProgress })
      : await readThermal(client, serial, signal);
    // perf_test always does one untimed warm-up inference; more warm-up is a separate short run.
    if (warmup > 1) {
      onProgress?.({ stage: 'benchmark', done: 0, total: runs, detail: `warm-up (${warmup})`, device: serial });
      await invoke(ctx, perfTestArgs({ ...common, runs: warmup - 1 }), { signal, timeoutMs: options.runnerTimeoutMs });
      if (policy?.cooldownMs) await cancellableSleep(policy.cooldownMs, signal);
    }
    throwIfAborted(signal);
    onProgress?.({ stage: 'benchmark', done: 0, total: runs, detail: backend, device: serial });
    const withProfile = options.placement ?? true;
    const output = await invoke(
      ctx,
      perfTestArgs({
        ...common,
        runs,
        resultFile: `${runDir}/result.csv`,
        profilePrefix: withProfile ? 'profile' : undefined,
      }),
      { signal, timeoutMs: options.runnerTimeoutMs },
    );
    const m = parsePerfTestOutput(output);
    onProgress?.({ stage: 'benchmark', done: runs, total: runs, detail: backend, device: serial });
    const latencies = parseResultCsv(await pullText(client, serial, `${runDir}/result.csv`).catch(() => ''));
    let placement: Record<string, number> | undefined;
    if (withProfile) {
      const ls = await runShell(client, serial, shellJoin(['ls', runDir]), { signal, timeoutMs: 30_000 });
      const file = ls.output
        .split('\n')
        .map((s) => s.trim())
        .find((f) => /^profile_.*\.json$/.test(f));
      if (file) placement = parseProfilePlacement(await pullText(client, serial, `${runDir}/${file}`)).shares;
      else
        warnings.push({
          code: 'BENCH_OUTPUT_UNPARSABLE',
          message: 'The runner wrote no profile; operator placement is unknown.',
        });
    }
    const after = await readThermal(client, serial, signal);
    if (policy?.cooldownMs) await cancellableSleep(policy.cooldownMs, signal);
    // Percentiles from the per-run latencies with the same definition as the host benchmark (stats.ts), so
    // host and phone numbers compare; perf_test's own summary is the fallback when no per-run file exists.
    const have = latencies.length > 0;
    const st = have ? latencyStats(latencies) : undefined;
    const sorted = have ? [...latencies].sort((a, b) => a - b) : [];
    return {
      device: serial,
      deviceModel: facts.model,
      backend,
      initMs: m.sessionCreationMs,
      firstMs: m.firstInferenceMs ?? NaN,
      meanMs: st ? st.meanMs : m.averageMs,
      p50Ms: st ? st.p50Ms : (m.p50Ms ?? NaN),
      p90Ms: st ? st.p90Ms : (m.p90Ms ?? NaN),
      p95Ms: st ? percentileSorted(sorted, 95) : (m.p95Ms ?? undefined),
      p99Ms: st ? st.p99Ms : (m.p99Ms ?? NaN),
      minMs: st ? st.minMs : (m.minMs ?? NaN),
      maxMs: st ? st.maxMs : (m.maxMs ?? NaN),
      stdMs: st ? st.stdMs : NaN,
      peakRssBytes: m.peakWorkingSetBytes ?? 0,
      cpuPercent: m.avgCpuPercent,
      runs: m.requests,
      warmup,
      threads,
      placement,
      thermal: { before, after },
      runner: { name: PERF_TEST_BINARY, version: runner.version, abi: runner.abi },
      warnings: warnings.length ? warnings : undefined,
    };
  } finally {
    if (!options.keepRunFiles) {
      await runShell(client, serial, shellJoin(['rm', '-rf', runDir]), { timeoutMs: 30_000 }).catch(() => undefined);
    }
  }
}
