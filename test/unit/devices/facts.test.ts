import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bigCoresFrom,
  cpuMask,
  factsFrom,
  parseBattery,
  parseCpuList,
  parseGetprop,
  parseMeminfo,
  parseThermalStatus,
  splitSections,
} from '../../../src/main/engine/devices/facts.js';

const T = (n: string): string => fs.readFileSync(path.join(__dirname, '../../fixtures/transcripts', n), 'utf8');

describe('device facts parsing', () => {
  it('parses getprop, including multi-line values and CRLF', () => {
    const p = parseGetprop(T('getprop-pixel8.txt'));
    expect(p['ro.product.model']).toBe('Pixel 8');
    expect(p['ro.soc.model']).toBe('Tensor G3');
    expect(p['ro.build.description']).toContain('second line');
    expect(p['sys.boot_completed']).toBe('1');
    const old = parseGetprop(T('getprop-android9-no-soc.txt'));
    expect(old['ro.product.model']).toBe('moto g(6) plus');
    expect(old['ro.soc.model']).toBeUndefined();
  });

  it('parses meminfo, battery and thermal status', () => {
    expect(parseMeminfo(T('meminfo.txt'))).toBe(7834412 * 1024);
    expect(parseBattery(T('dumpsys-battery.txt'))).toEqual({ level: 87, tempC: 34.2 });
    expect(parseThermalStatus(T('dumpsys-thermalservice.txt'))).toBe(2);
    expect(parseThermalStatus('no thermal HAL')).toBeNull();
  });

  it('finds big cores from capacity or frequency and builds the taskset mask', () => {
    expect(parseCpuList('0-3,6-7\n')).toEqual([0, 1, 2, 3, 6, 7]);
    expect(bigCoresFrom([256, 256, 256, 256, 640, 640, 640, 1024])).toEqual([4, 5, 6, 7]);
    expect(bigCoresFrom([1800, 1800, 1800, 1800])).toEqual([0, 1, 2, 3]);
    expect(bigCoresFrom([null, null])).toEqual([0, 1]);
    expect(cpuMask([4, 5, 6, 7])).toBe('f0');
    expect(cpuMask([7])).toBe('80');
  });

  it('assembles DeviceFacts with SoC fallbacks', () => {
    const cpus = splitSections(
      '__PQV_S__cap0\n__PQV_S__freq0\n1804800\n__PQV_S__cap1\n__PQV_S__freq1\n1804800\n__PQV_S__cap2\n__PQV_S__freq2\n2208000\n__PQV_S__cap3\n__PQV_S__freq3\n2208000\n',
    );
    const f = factsFrom(
      {
        getprop: T('getprop-android9-no-soc.txt'),
        meminfo: T('meminfo.txt'),
        battery: T('dumpsys-battery.txt'),
        thermal: T('dumpsys-thermalservice.txt'),
        cpus,
      },
      [0, 1, 2, 3],
    );
    expect(f.soc).toBe('msm8953');
    expect(f.manufacturer).toBe('motorola');
    expect(f.abis).toEqual(['arm64-v8a', 'armeabi-v7a', 'armeabi']);
    expect(f.sdk).toBe(28);
    expect(f.bigCores).toEqual([2, 3]);
    expect(f.bigCoreMask).toBe('c');
    expect(f.cpuCapacity).toBeUndefined();
    expect(f.batteryTempC).toBe(34.2);
    expect(f.thermalStatus).toBe(2);
    const g = factsFrom({ getprop: T('getprop-pixel8.txt'), meminfo: '', battery: '', thermal: '', cpus: {} }, [0, 1]);
    expect(g.soc).toBe('Tensor G3');
    expect(g.ramBytes).toBeNull();
    expect(g.batteryLevel).toBeNull();
  });
});
