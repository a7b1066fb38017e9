/**
 * Backend → `onnxruntime_perf_test` arguments, from the flag set of onnxruntime/test/perftest
 * (command_args_parser.cc): `-e` provider, `-i` EP options (`key|value` pairs, space separated; NNAPI takes
 * bare flag names), `-C` session config entries, `-x` intra-op threads, `-r` repeats (switches to "times"
 * mode), `-I` generated inputs, `-p` profile prefix, `-s` statistics, positional model path and result file.
 * The tool always runs one untimed warm-up inference itself ("First inference time cost").
 */
import type { Backend } from '../../../common/types/bench.js';
import { PqvError } from '../../../common/errors.js';

export type DeviceBackend = Exclude<Backend, 'host'>;

/** How the `gpu` backend is reached: QNN's GPU backend (default) or the WebGPU EP where the build has it. */
export type GpuProvider = 'qnn' | 'webgpu';

export interface PerfArgsOptions {
  backend: DeviceBackend;
  /** Timed runs (`-r`). */
  runs: number;
  /** Intra-op threads (`-x`); 0 lets the runtime decide. */
  threads: number;
  /** Device path of the model. */
  modelPath: string;
  /** Per-run CSV written by the tool (positional result_file). */
  resultFile?: string;
  /** Profile file prefix (`-p`); ORT appends `_<timestamp>.json`. */
  profilePrefix?: string;
  /** Fail when a node would fall back to the CPU EP (`-C session.disable_cpu_ep_fallback|1`). */
  disableCpuFallback?: boolean;
  gpuProvider?: GpuProvider;
  /** NNAPI: relax fp32 to fp16 (default true). */
  nnapiFp16?: boolean;
  /** NNAPI: forbid NNAPI's own CPU reference device (default true). */
  nnapiCpuDisabled?: boolean;
  /** QNN HTP performance mode (default `burst`). */
  htpPerformanceMode?: string;
}

export function providerArgs(o: PerfArgsOptions): string[] {
  switch (o.backend) {
    case 'cpu':
      return ['-e', 'cpu'];
    case 'xnnpack':
      return ['-e', 'xnnpack'];
    case 'nnapi': {
      const flags = [];
      if (o.nnapiFp16 ?? true) flags.push('NNAPI_FLAG_USE_FP16');
      if (o.nnapiCpuDisabled ?? true) flags.push('NNAPI_FLAG_CPU_DISABLED');
      return flags.length ? ['-e', 'nnapi', '-i', flags.join(' ')] : ['-e', 'nnapi'];
    }
    case 'gpu':
      return (o.gpuProvider ?? 'qnn') === 'webgpu' ? ['-e', 'webgpu'] : ['-e', 'qnn', '-i', 'backend_type|gpu'];
    case 'npu':
      return ['-e', 'qnn', '-i', `backend_type|htp htp_performance_mode|${o.htpPerformanceMode ?? 'burst'}`];
    default:
      throw new PqvError(
        'BACKEND_UNSUPPORTED',
        `Unknown device backend "${String(o.backend)}". Use cpu, xnnpack, nnapi, gpu or npu.`,
      );
  }
}

/** The full argument vector (unquoted) after the binary path. */
export function perfTestArgs(o: PerfArgsOptions): string[] {
  if (!Number.isInteger(o.runs) || o.runs < 1)
    throw new PqvError('INVALID_ARGUMENT', `runs must be a positive integer (got ${o.runs}).`);
  const args = [...providerArgs(o), '-I', '-r', String(o.runs), '-s'];
  if (o.threads > 0) args.push('-x', String(o.threads));
  if (o.disableCpuFallback) args.push('-C', 'session.disable_cpu_ep_fallback|1');
  if (o.profilePrefix) args.push('-p', o.profilePrefix);
  args.push(o.modelPath);
  if (o.resultFile) args.push(o.resultFile);
  return args;
}
