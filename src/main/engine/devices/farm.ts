/**
 * DeviceFarm: one FIFO queue per phone, phones run concurrently, and a failing job only rejects its
 * own promise — the phone's queue and every other phone carry on. Jobs run exactly once (no retries),
 * so nothing is recorded twice.
 */
import { CancelledError } from '../../../common/errors.js';

export interface FarmJobContext {
  serial: string;
  signal: AbortSignal;
}

export type FarmJob<T> = (ctx: FarmJobContext) => Promise<T>;

export interface FarmOptions {
  /** Cancels queued and running jobs. */
  signal?: AbortSignal;
}

export class DeviceFarm {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly counts = new Map<string, number>();
  private readonly controller = new AbortController();

  constructor(opts: FarmOptions = {}) {
    if (opts.signal) {
      if (opts.signal.aborted) this.controller.abort();
      else opts.signal.addEventListener('abort', () => this.controller.abort(), { once: true });
    }
  }

  /** Queue `job` on `serial`; resolves/rejects with that job's own outcome. */
  enqueue<T>(serial: string, job: FarmJob<T>): Promise<T> {
    const signal = this.controller.signal;
    const tail = this.tails.get(serial) ?? Promise.resolve();
    this.counts.set(serial, (this.counts.get(serial) ?? 0) + 1);
    const run = tail.then(() => {
      if (signal.aborted) throw new CancelledError();
      return job({ serial, signal });
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    const next = settled.then(() => {
      this.counts.set(serial, (this.counts.get(serial) ?? 1) - 1);
    });
    this.tails.set(serial, next);
    return run;
  }

  /** Jobs queued or running on `serial`. */
  pending(serial: string): number {
    return this.counts.get(serial) ?? 0;
  }

  /** Phones that have a queue. */
  get serials(): string[] {
    return [...this.tails.keys()];
  }

  /** Resolves when every queue is empty. */
  async drain(): Promise<void> {
    for (;;) {
      const tails = [...this.tails.values()];
      await Promise.all(tails);
      if ([...this.tails.values()].every((t, i) => t === tails[i]) && this.tails.size === tails.length) return;
    }
  }

  /** Cancel everything still queued or running. */
  cancel(): void {
    this.controller.abort();
  }
}
