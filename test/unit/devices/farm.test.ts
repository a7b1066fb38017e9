import { describe, expect, it } from 'vitest';
import { DeviceFarm } from '../../../src/main/engine/devices/farm.js';
import { PqvError } from '../../../src/common/errors.js';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DeviceFarm', () => {
  it('runs one job at a time per device, devices in parallel, and isolates failures', async () => {
    const farm = new DeviceFarm();
    const log: string[] = [];
    let running = 0;
    let maxParallel = 0;
    const job =
      (name: string, fail = false) =>
      async () => {
        running++;
        maxParallel = Math.max(maxParallel, running);
        log.push(`start ${name}`);
        await tick(20);
        log.push(`end ${name}`);
        running--;
        if (fail) throw new PqvError('RUNNER_CRASHED', `${name} crashed`);
        return name;
      };
    const results = await Promise.allSettled([
      farm.enqueue('A', job('a1', true)),
      farm.enqueue('A', job('a2')),
      farm.enqueue('B', job('b1')),
      farm.enqueue('B', job('b2')),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as PqvError).code))).toEqual([
      'RUNNER_CRASHED',
      'a2',
      'b1',
      'b2',
    ]);
    expect(maxParallel).toBe(2);
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('end b1')).toBeLessThan(log.indexOf('start b2'));
    expect(log.filter((l) => l.startsWith('start'))).toHaveLength(4);
    await farm.drain();
    expect(farm.pending('A')).toBe(0);
  });

  it('cancels queued jobs', async () => {
    const ac = new AbortController();
    const farm = new DeviceFarm({ signal: ac.signal });
    let ran = 0;
    const first = farm.enqueue('A', async ({ signal }) => {
      ran++;
      await tick(20);
      return signal.aborted;
    });
    const second = farm.enqueue('A', async () => {
      ran++;
    });
    await tick(5);
    ac.abort();
    await expect(first).resolves.toBe(true);
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(ran).toBe(1);
  });
});
