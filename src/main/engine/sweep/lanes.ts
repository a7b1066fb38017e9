/**
 * Work lanes of a running sweep. The host lane runs compression, evaluation and host benchmarks one at a time,
 * compression first (so phones get work early) and host benchmarks last (so they are not measured while the host
 * is busy). Each phone has its own FIFO lane fed as variants are built. Lanes keep counts and an ETA.
 */
import { CancelledError } from '../../../common/errors.js';
import type { SweepEngineEvent } from '../../../common/types/sweep.js';

/** Progress of one lane with a running-average ETA. */
export class LaneProgress {
  done = 0;
  total = 0;
  private busyMs = 0;
  private timed = 0;

  /** Record one finished unit that took `ms`. */
  finish(ms: number): void {
    this.done++;
    this.busyMs += ms;
    this.timed++;
  }

  /** Record one unit that needed no work (already done, duplicate, skipped). */
  skip(): void {
    this.done++;
  }

  etaMs(): number | undefined {
    if (this.timed === 0) return undefined;
    return Math.max(0, this.total - this.done) * (this.busyMs / this.timed);
  }
}

/** A FIFO that consumers await; `close()` ends it once drained. */
export class TaskQueue<T> {
  private readonly items: T[] = [];
  private waiters: Array<() => void> = [];
  private closed = false;

  push(item: T): void {
    this.items.push(item);
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.wake();
  }

  get size(): number {
    return this.items.length;
  }

  /** Next item, or undefined once closed and empty. Rejects with CancelledError when `signal` aborts. */
  async next(signal?: AbortSignal): Promise<T | undefined> {
    for (;;) {
      if (signal?.aborted) throw new CancelledError();
      const item = this.items.shift();
      if (item !== undefined) return item;
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.push(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** Priority of host-lane tasks: lower runs first. */
export const HOST_PRIORITY = { compress: 0, evaluate: 1, benchmark: 2 } as const;

export interface HostTask {
  priority: number;
  /** Tie-break: insertion order. */
  seq: number;
  run: () => Promise<void>;
}

/** Host-lane tasks picked by priority, then insertion order. */
export class HostQueue {
  private readonly tasks: HostTask[] = [];
  private seq = 0;

  push(priority: number, run: () => Promise<void>): void {
    this.tasks.push({ priority, seq: this.seq++, run });
  }

  take(): HostTask | undefined {
    let best = -1;
    this.tasks.forEach((t, i) => {
      const b = this.tasks[best];
      if (!b || t.priority < b.priority || (t.priority === b.priority && t.seq < b.seq)) best = i;
    });
    return best < 0 ? undefined : this.tasks.splice(best, 1)[0];
  }
}

/** Sleep that rejects with CancelledError on abort. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Progress of every lane of a sweep plus the overall run count; emits `progress` events with ETAs. */
export class SweepProgress {
  readonly host = new LaneProgress();
  readonly phones = new Map<string, LaneProgress>();
  /** Benchmark runs (variants × targets). */
  readonly overall = new LaneProgress();

  constructor(
    variants: number,
    targets: ReadonlyArray<{ device: string }>,
    private readonly emit: (e: SweepEngineEvent) => void,
  ) {
    this.overall.total = variants * targets.length;
    // Host: compress + evaluate + one benchmark per host target, per variant.
    this.host.total = variants * (2 + targets.filter((t) => t.device === 'host').length);
    for (const t of targets) {
      if (t.device === 'host') continue;
      const lane = this.phones.get(t.device) ?? new LaneProgress();
      lane.total += variants;
      this.phones.set(t.device, lane);
    }
  }

  lane(device: string): LaneProgress {
    return device === 'host' ? this.host : this.phones.get(device)!;
  }

  /** Emit the lane's progress and the overall progress (ETA = the slowest lane's). */
  report(device = 'host'): void {
    const p = this.lane(device);
    const scope = device === 'host' ? 'host' : 'device';
    this.emit({ type: 'progress', scope, device, done: p.done, total: p.total, etaMs: p.etaMs() });
    const etas = [this.host, ...this.phones.values()].map((l) => l.etaMs()).filter((x): x is number => x !== undefined);
    const o = this.overall;
    this.emit({
      type: 'progress',
      scope: 'overall',
      done: o.done,
      total: o.total,
      etaMs: etas.length ? Math.max(...etas) : undefined,
    });
  }
}
