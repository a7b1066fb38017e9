/**
 * Running jobs: one AbortController per client-made job id, so `job.cancel {jobId}` can abort a long operation.
 */
import { randomUUID } from 'node:crypto';
import { PqvError } from '../../common/errors.js';

export class JobRegistry {
  private readonly jobs = new Map<string, AbortController>();

  /** Register a job; a missing id gets a generated one. A duplicate id that is still running is an error. */
  begin(jobId?: string): { jobId: string; signal: AbortSignal; end: () => void } {
    const id = jobId ?? randomUUID();
    if (this.jobs.has(id)) throw new PqvError('INVALID_ARGUMENT', `Job "${id}" is already running; use a new job id.`);
    const controller = new AbortController();
    this.jobs.set(id, controller);
    return { jobId: id, signal: controller.signal, end: () => this.jobs.delete(id) };
  }

  /** Abort a running job. Returns false when no such job is running. */
  cancel(jobId: string): boolean {
    const c = this.jobs.get(jobId);
    if (!c) return false;
    c.abort();
    return true;
  }

  /** Abort every running job (shell shutdown). */
  cancelAll(): void {
    for (const c of this.jobs.values()) c.abort();
  }

  get running(): string[] {
    return [...this.jobs.keys()];
  }
}
