/**
 * Stand-in for ONNX Runtime's `onnxruntime_perf_test` on the virtual phone. It accepts the real flag
 * set (abseil style: `-e cpu`, `-e=cpu`, `--e cpu`), runs the pushed model with onnxruntime-node on
 * this computer's CPU and prints the output format of onnxruntime/test/perftest (performance_runner.cc
 * `Run()` and `PerformanceResult::DumpToFile`). Accelerator EPs are simulated: the model runs on the
 * CPU, while the `-p` profile marks each node with the provider the simulated EP would take.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseModel } from '../../src/main/engine/onnx/model-io.js';
import type { CommandContext } from './shell.js';
import type { PhoneRuntime } from './commands.js';

const VALUE_FLAGS = new Set([
  'f',
  'F',
  'm',
  'e',
  'r',
  't',
  'p',
  'x',
  'y',
  'c',
  'd',
  'o',
  'u',
  'i',
  'S',
  'T',
  'C',
  'R',
  'plugin_ep_libs',
  'plugin_eps',
  'plugin_ep_options',
  'select_ep_devices',
]);
const BOOL_FLAGS = new Set([
  'A',
  'M',
  's',
  'v',
  'I',
  'P',
  'q',
  'z',
  'D',
  'Z',
  'n',
  'l',
  'g',
  'X',
  'h',
  'help',
  'list_ep_devices',
]);

const EP_NAMES: Record<string, string> = {
  cpu: 'CPUExecutionProvider',
  xnnpack: 'XnnpackExecutionProvider',
  nnapi: 'NnapiExecutionProvider',
  qnn: 'QNNExecutionProvider',
  webgpu: 'WebGpuExecutionProvider',
};

/** Ops each simulated accelerator takes; everything else falls back to the CPU EP. */
const SUPPORTED: Record<string, Set<string>> = {
  xnnpack: new Set(['Conv', 'Gemm', 'MatMul', 'Softmax', 'MaxPool', 'AveragePool', 'Resize']),
  nnapi: new Set([
    'Conv',
    'Gemm',
    'MatMul',
    'Add',
    'Sub',
    'Mul',
    'Div',
    'Softmax',
    'Relu',
    'Reshape',
    'Transpose',
    'Concat',
  ]),
  'qnn:htp': new Set([
    'Conv',
    'Gemm',
    'MatMul',
    'Add',
    'Sub',
    'Mul',
    'Div',
    'Softmax',
    'Reshape',
    'Transpose',
    'Concat',
    'LayerNormalization',
    'Gelu',
    'Erf',
    'Pow',
    'Sqrt',
    'ReduceMean',
    'Slice',
    'Gather',
    'Flatten',
    'Split',
    'Squeeze',
    'Unsqueeze',
    'Expand',
    'Where',
    'Cast',
    'Identity',
    'Shape',
    'Tanh',
    'Sigmoid',
    'Relu',
    'MultiHeadAttention',
    'Attention',
    'SkipLayerNormalization',
    'BiasGelu',
    'FastGelu',
    'FusedMatMul',
  ]),
  'qnn:gpu': new Set(['Conv', 'Gemm', 'MatMul', 'Add', 'Mul', 'Softmax', 'Reshape', 'Transpose']),
  webgpu: new Set([
    'Conv',
    'Gemm',
    'MatMul',
    'Add',
    'Sub',
    'Mul',
    'Div',
    'Softmax',
    'Transpose',
    'Reshape',
    'LayerNormalization',
    'Gelu',
    'Erf',
  ]),
};

interface Parsed {
  flags: Map<string, string>;
  positional: string[];
}

function parseArgs(argv: string[]): Parsed | { unknown: string } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (VALUE_FLAGS.has(name)) {
      const v = eq >= 0 ? body.slice(eq + 1) : argv[++i];
      if (v === undefined) return { unknown: `Missing the value for the flag '${name}'` };
      flags.set(name, v);
    } else if (BOOL_FLAGS.has(name)) flags.set(name, eq >= 0 ? body.slice(eq + 1) : 'true');
    else return { unknown: `Unknown command line flag '${name}'` };
  }
  return { flags, positional };
}

function kv(s: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const tok of (s ?? '').split(/\s+/).filter(Boolean)) {
    const bar = tok.indexOf('|');
    m.set(bar < 0 ? tok : tok.slice(0, bar), bar < 0 ? '' : tok.slice(bar + 1));
  }
  return m;
}

/** std::cout's default formatting of a double (6 significant digits, %g style). */
function g(x: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -5 || exp >= 6) {
    const [m, e] = x.toExponential(5).split('e');
    const mant = String(Number(m));
    const en = Number(e);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  return String(Number(x.toPrecision(6)));
}

export async function runPerfTestStandIn(c: CommandContext, exePath: string, rt: PhoneRuntime): Promise<number> {
  const exeText = rt.vfs.readFile(exePath).toString('latin1');
  const version = /version=([0-9.]+)/.exec(exeText)?.[1] ?? '1.22.0';
  const cwd = c.shell.cwd;
  // The dynamic loader needs libonnxruntime.so on LD_LIBRARY_PATH (or next to the binary's rpath).
  const libDirs = (c.env.LD_LIBRARY_PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((d) => rt.vfs.resolve(d, cwd));
  if (!libDirs.some((d) => rt.vfs.stat(`${d}/libonnxruntime.so`))) {
    c.err(`CANNOT LINK EXECUTABLE "${c.argv[0]}": library "libonnxruntime.so" not found: needed by main executable\n`);
    return 1;
  }
  if (rt.faults.runnerCrash) {
    c.err('Segmentation fault \n');
    return 139;
  }
  const parsed = parseArgs(c.argv.slice(1));
  if ('unknown' in parsed) {
    c.err(`ERROR: ${parsed.unknown}\n`);
    return 1;
  }
  // ORT 1.23.0 Android builds strip abseil flag names: every flag is unknown.
  if (version === '1.23.0' && parsed.flags.size > 0) {
    c.err(`ERROR: Unknown command line flag '${[...parsed.flags.keys()][0]}'\n`);
    return 1;
  }
  const { flags, positional } = parsed;
  if (flags.has('h') || flags.has('help') || positional.length < 1 || positional.length > 2) {
    c.out('onnxruntime_perf_test [options...] model_path [result_file]\n');
    return flags.has('h') || flags.has('help') ? 0 : 255;
  }
  const ep = flags.get('e') ?? 'cpu';
  if (!EP_NAMES[ep]) {
    c.out('onnxruntime_perf_test [options...] model_path [result_file]\n');
    return 255;
  }
  const epOptions = kv(flags.get('i'));
  const sessionConfig = kv(flags.get('C'));
  let simKey = ep;
  const acc = rt.profile.accelerators;
  if (ep === 'qnn') {
    const bt = epOptions.get('backend_type') ?? (epOptions.get('backend_path')?.includes('Gpu') ? 'gpu' : 'htp');
    simKey = `qnn:${bt}`;
    const lib = bt === 'gpu' ? 'libQnnGpu.so' : 'libQnnHtp.so';
    if (!libDirs.some((d) => rt.vfs.stat(`${d}/${lib}`)) || (bt === 'gpu' ? !acc.qnnGpu : !acc.qnnHtp)) {
      c.err(`Unable to load backend. Error: dlopen failed: library "${lib}" not found\n`);
      c.err(`QNN EP failed to load backend ${bt}\n`);
      c.err(`Failed to create session: QNN EP: Failed to initialize the QNN backend.\n`);
      return 255;
    }
  } else if ((ep === 'nnapi' && !acc.nnapi) || (ep === 'webgpu' && !acc.webgpu) || (ep === 'xnnpack' && !acc.xnnpack)) {
    c.err(`${ep} is not supported in this build\n`);
    return 255;
  }
  const modelDev = rt.vfs.resolve(positional[0]!, cwd);
  const modelHost = rt.vfs.hostPath(modelDev);
  if (!modelHost || !fs.existsSync(modelHost)) {
    c.err(`Load model from ${positional[0]} failed:Load model ${positional[0]} failed. File doesn't exist\n`);
    return 255;
  }
  const supported = SUPPORTED[simKey];
  const opTypes = new Set(parseModel(fs.readFileSync(modelHost)).graph?.node.map((n) => n.opType) ?? []);
  const cpuOps = supported ? [...opTypes].filter((o) => !supported.has(o)) : [];
  if (sessionConfig.get('session.disable_cpu_ep_fallback') === '1' && ep !== 'cpu' && cpuOps.length > 0) {
    c.err(
      'This session contains graph nodes that are assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled by the user.\n',
    );
    return 255;
  }
  const threads = Number(flags.get('x') ?? '0');
  if (threads > 0) c.out(`Setting intra_op_num_threads to ${threads}\n`);
  c.out(
    `[pqv virtual phone] execution provider: ${EP_NAMES[ep]}${ep === 'qnn' ? ` (${simKey.slice(4)})` : ''}${c.env.PQV_CPU_MASK ? `, cpu mask ${c.env.PQV_CPU_MASK}` : ''}\n`,
  );
  const profileArg = flags.get('p');
  const profilePrefixHost = profileArg ? rt.vfs.hostPath(rt.vfs.resolve(profileArg, cwd)) : null;
  const repeated = Number(flags.get('r') ?? '1000');
  if (!flags.has('I')) {
    c.out(`there is no test data for model ${path.posix.basename(path.posix.dirname(modelDev))}\n`);
    c.out('Run failed:failed to initialize.\n');
    return 255;
  }
  const t0 = performance.now();
  const sessionOptions: ort.InferenceSession.SessionOptions = {};
  if (threads > 0) sessionOptions.intraOpNumThreads = threads;
  if (profilePrefixHost) Object.assign(sessionOptions, { enableProfiling: true, profileFilePrefix: profilePrefixHost });
  const session = await ort.InferenceSession.create(modelHost, sessionOptions);
  const sessionS = (performance.now() - t0) / 1000;
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const shape = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    feeds[meta.name] = new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }
  const w0 = performance.now();
  await session.run(feeds);
  const firstMs = Math.round(performance.now() - w0);
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const r0 = performance.now();
  for (let i = 0; i < repeated; i++) {
    if (c.signal.aborted) break;
    const s = performance.now();
    await session.run(feeds);
    times.push((performance.now() - s) / 1000);
  }
  const runS = (performance.now() - r0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = Math.min(100, Math.round(((cpu.user + cpu.system) / 1e6 / Math.max(runS, 1e-9)) * 100));
  const peak = process.memoryUsage().rss;
  if (profilePrefixHost) {
    session.endProfiling();
    rewriteProfile(profilePrefixHost, supported ? EP_NAMES[ep]! : null, supported);
  }
  await session.release();
  const total = times.reduce((a, b) => a + b, 0);
  c.out(
    `Session creation time cost: ${g(sessionS)} s\n` +
      `First inference time cost: ${firstMs} ms\n` +
      `Total inference time cost: ${g(total)} s\n` +
      `Total inference requests: ${times.length}\n` +
      `Average inference time cost: ${g((total / times.length) * 1000)} ms\n` +
      `Total inference run time: ${g(runS)} s\n` +
      `Number of inferences per second: ${g(times.length / runS)} \n` +
      `Avg CPU usage: ${cpuPct} %\n` +
      `Peak working set size: ${peak} bytes\n`,
  );
  // PerformanceResult::DumpToFile: per-run CSV into the result file, or a short summary on stdout.
  const resultArg = positional[1];
  const resultHost = resultArg ? rt.vfs.hostPath(rt.vfs.resolve(resultArg, cwd)) : null;
  const modelName = path.posix.basename(path.posix.dirname(modelDev));
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.floor(sorted.length * q)]!;
  const stats =
    `Min Latency: ${g(sorted[0]!)} s\nMax Latency: ${g(sorted[sorted.length - 1]!)} s\nP50 Latency: ${g(at(0.5))} s\n` +
    `P90 Latency: ${g(at(0.9))} s\nP95 Latency: ${g(at(0.95))} s\nP99 Latency: ${g(at(0.99))} s\nP999 Latency: ${g(at(0.999))} s\n`;
  const showStats = !resultArg || flags.has('s');
  if (resultHost) {
    const rows = times.map((t, i) => `${modelName},${g(t)},${peak},${cpuPct},${i}\n`).join('');
    fs.appendFileSync(resultHost, rows + (showStats ? `\n${stats}` : ''));
  } else if (resultArg) {
    c.err(`failed to open result file '${resultArg}'. will dump stats to output.\n`);
  }
  if (!resultHost) c.out(`Avg CPU usage:${cpuPct}\nPeak working set size:${peak}\nRuns:${times.length}\n`);
  if (showStats || !resultHost) c.out(stats);
  return 0;
}

/** Mark node events with the simulated EP's provider for the ops it takes. */
function rewriteProfile(prefixHost: string, epName: string | null, supported: Set<string> | undefined): void {
  const dir = path.dirname(prefixHost);
  const base = path.basename(prefixHost);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${base}_`) && f.endsWith('.json'));
  for (const f of files) {
    const full = path.join(dir, f);
    if (!epName || !supported) continue;
    const events = JSON.parse(fs.readFileSync(full, 'utf8')) as Array<{
      cat?: string;
      args?: { op_name?: string; provider?: string };
    }>;
    for (const e of events) {
      if (e.cat === 'Node' && e.args?.op_name && supported.has(e.args.op_name)) e.args.provider = epName;
    }
    fs.writeFileSync(full, JSON.stringify(events));
  }
}
