import { describe, expect, it } from 'vitest';
import { perfTestArgs } from '../../../src/main/engine/devices/perf-args.js';
import { runnerCommand } from '../../../src/main/engine/devices/device-bench.js';
import { shellWords } from '../../virtual-phone/shell.js';

const base = { runs: 5, threads: 0, modelPath: '/m/model.onnx' };

describe('backend → perf_test arguments', () => {
  it('maps every backend to the real flags', () => {
    expect(perfTestArgs({ ...base, backend: 'cpu', threads: 4 })).toEqual([
      '-e',
      'cpu',
      '-I',
      '-r',
      '5',
      '-s',
      '-x',
      '4',
      '/m/model.onnx',
    ]);
    expect(perfTestArgs({ ...base, backend: 'xnnpack', threads: 2 }).slice(0, 2)).toEqual(['-e', 'xnnpack']);
    expect(perfTestArgs({ ...base, backend: 'nnapi' }).slice(0, 4)).toEqual([
      '-e',
      'nnapi',
      '-i',
      'NNAPI_FLAG_USE_FP16 NNAPI_FLAG_CPU_DISABLED',
    ]);
    expect(perfTestArgs({ ...base, backend: 'nnapi', nnapiFp16: false, nnapiCpuDisabled: false }).slice(0, 2)).toEqual([
      '-e',
      'nnapi',
    ]);
    expect(perfTestArgs({ ...base, backend: 'gpu' }).slice(0, 4)).toEqual(['-e', 'qnn', '-i', 'backend_type|gpu']);
    expect(perfTestArgs({ ...base, backend: 'gpu', gpuProvider: 'webgpu' }).slice(0, 2)).toEqual(['-e', 'webgpu']);
    expect(perfTestArgs({ ...base, backend: 'npu' }).slice(0, 4)).toEqual([
      '-e',
      'qnn',
      '-i',
      'backend_type|htp htp_performance_mode|burst',
    ]);
  });

  it('adds strict mode, profile and result file', () => {
    const a = perfTestArgs({
      ...base,
      backend: 'npu',
      disableCpuFallback: true,
      profilePrefix: 'profile',
      resultFile: '/r/result.csv',
    });
    expect(a).toContain('-C');
    expect(a[a.indexOf('-C') + 1]).toBe('session.disable_cpu_ep_fallback|1');
    expect(a[a.indexOf('-p') + 1]).toBe('profile');
    expect(a.slice(-2)).toEqual(['/m/model.onnx', '/r/result.csv']);
  });

  it('rejects a non-positive run count', () => {
    expect(() => perfTestArgs({ ...base, runs: 0, backend: 'cpu' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('builds a command line whose words survive shell parsing, with taskset only for cpu', () => {
    const args = perfTestArgs({ ...base, backend: 'npu', modelPath: "/m/it's a $(model); x.onnx" });
    const cmd = runnerCommand({ runnerDir: '/r', runDir: '/run dir', backend: 'npu' }, args);
    const words = shellWords(cmd);
    expect(words[0]).toEqual(['cd', '/run dir']);
    expect(words[1]!.slice(0, 3)).toEqual([
      'LD_LIBRARY_PATH=/r',
      'ADSP_LIBRARY_PATH=/r;/vendor/lib/rfsa/adsp;/vendor/dsp/cdsp;/system/lib/rfsa/adsp;/dsp',
      '/r/onnxruntime_perf_test',
    ]);
    expect(words[1]).toContain("/m/it's a $(model); x.onnx");
    const cpu = shellWords(
      runnerCommand({ runnerDir: '/r', runDir: '/d', backend: 'cpu', cpuMask: 'f0' }, ['-e', 'cpu']),
    );
    expect(cpu[1]!.slice(2, 4)).toEqual(['taskset', 'f0']);
  });
});
