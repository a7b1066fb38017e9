/**
 * `ServiceClient`: the parent's side of the service host. It starts the host through a transport-neutral `spawn`
 * function (Electron utility process in the desktop shell, Node `fork` in tests), forwards API calls and events,
 * answers the host's parent-calls, and restarts a host that dies: calls in flight then fail with ENGINE_CRASHED and
 * jobs that were running get a failed `job.finished` event, so no caller waits forever.
 */
import { PqvError, deserializeError, serializeError } from '../../common/errors.js';
import type { ApiEvent, ApiEventListener, ApiMethod, ApiRequest, ApiResponse } from '../../common/api.js';
import {
  isMessage,
  type FromHostMessage,
  type ParentCallMessage,
  type ParentOps,
  type ToHostMessage,
} from './host-protocol.js';

/** What the shells need of an API service: the in-process `ApiService` and `ServiceClient` both provide it. */
export interface ApiDispatcher {
  dispatch(method: string, params: unknown): Promise<unknown>;
  onEvent(listener: ApiEventListener): () => void;
}

/** A running host process, as seen by the client. */
export interface HostChild {
  send(message: ToHostMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process ends, whatever the reason. */
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export interface ServiceClientOptions {
  /** Start a host process. Called at construction and after each crash. */
  spawn: () => HostChild;
  /** Parent-side operations the host may call (e.g. `exportPdf` through Electron's printToPDF). */
  parent?: Partial<ParentOps>;
  /** Restart a crashed host at most this many times within `restartWindowMs` (default 3 within 60 000 ms). */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** Told about every host exit that was not asked for. */
  onCrash?: (info: { code: number | null; restarted: boolean }) => void;
}

interface PendingCall {
  method: string;
  jobId?: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

function jobIdOf(params: unknown): string | undefined {
  const id = (params as { jobId?: unknown } | null | undefined)?.jobId;
  return typeof id === 'string' ? id : undefined;
}

export class ServiceClient implements ApiDispatcher {
  private child: HostChild | null = null;
  /** Messages waiting for the current host's `ready`. */
  private queue: ToHostMessage[] | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly listeners = new Set<ApiEventListener>();
  /** Jobs that began and have not finished: they get a failed `job.finished` if the host dies. */
  private readonly openJobs = new Set<string>();
  private crashes: number[] = [];
  private closed = false;

  constructor(private readonly options: ServiceClientOptions) {
    this.start();
  }

  /** Run API method `method` in the host. Rejects with the host's error, or ENGINE_CRASHED if the host dies. */
  dispatch(method: string, params: unknown): Promise<unknown> {
    if (!this.child) {
      return Promise.reject(
        new PqvError('ENGINE_CRASHED', 'The PQV Studio engine is not running. Restart PQV Studio.'),
      );
    }
    const id = this.nextId++;
    const jobId = jobIdOf(params);
    if (jobId) this.openJobs.add(jobId);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, jobId, resolve, reject });
      try {
        this.post({ kind: 'call', id, method, params });
      } catch (e) {
        this.pending.delete(id);
        reject(deserializeError(serializeError(e)));
      }
    });
  }

  /** Typed call. */
  call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
    return this.dispatch(method, request) as Promise<ApiResponse<M>>;
  }

  onEvent(listener: ApiEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Stop the host (it aborts its jobs) and fail what is still waiting. No restart follows. */
  close(): void {
    this.closed = true;
    const child = this.child;
    this.child = null;
    child?.kill();
    this.failAll(new PqvError('ENGINE_CRASHED', 'PQV Studio is closing; the operation was stopped.'));
  }

  private start(): void {
    const child = this.options.spawn();
    this.child = child;
    this.queue = [];
    child.onMessage((m) => {
      if (this.child === child && isMessage(m)) this.handle(child, m as FromHostMessage);
    });
    child.onExit((code) => {
      if (this.child === child) this.exited(code);
    });
  }

  private post(message: ToHostMessage): void {
    if (this.queue) this.queue.push(message);
    else this.child?.send(message);
  }

  private handle(child: HostChild, m: FromHostMessage): void {
    switch (m.kind) {
      case 'ready': {
        const queued = this.queue ?? [];
        this.queue = null;
        for (const q of queued) child.send(q);
        return;
      }
      case 'result':
      case 'error': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.kind === 'result') p.resolve(m.value);
        else {
          if (p.jobId) this.openJobs.delete(p.jobId);
          p.reject(deserializeError(m.error));
        }
        return;
      }
      case 'event':
        this.track(m.event);
        this.emit(m.event);
        return;
      case 'parent-call':
        void this.answerParentCall(child, m);
        return;
    }
  }

  private async answerParentCall(child: HostChild, m: ParentCallMessage): Promise<void> {
    let reply: ToHostMessage;
    try {
      const op = this.options.parent?.[m.op];
      if (!op) throw new PqvError('INTERNAL', `The shell does not implement "${m.op}".`);
      const value: unknown = await (op as (...a: unknown[]) => Promise<unknown>)(...m.args);
      reply = { kind: 'parent-result', id: m.id, ok: true, value };
    } catch (e) {
      reply = { kind: 'parent-result', id: m.id, ok: false, error: serializeError(e) };
    }
    // Only the host that asked can use the answer.
    if (this.child === child) child.send(reply);
  }

  private track(event: ApiEvent): void {
    if (event.type === 'job.progress') this.openJobs.add(event.jobId);
    else if (event.type === 'job.finished') this.openJobs.delete(event.jobId);
  }

  private emit(event: ApiEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        /* a broken listener must not break the others */
      }
    }
  }

  private failAll(error: PqvError): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const p of calls) p.reject(error);
    const jobs = [...this.openJobs];
    this.openJobs.clear();
    const serialized = serializeError(error);
    for (const jobId of jobs) this.emit({ type: 'job.finished', jobId, status: 'failed', error: serialized });
  }

  private exited(code: number | null): void {
    this.child = null;
    this.queue = null;
    const now = Date.now();
    const windowMs = this.options.restartWindowMs ?? 60_000;
    this.crashes = [...this.crashes.filter((t) => now - t < windowMs), now];
    const restart = !this.closed && this.crashes.length <= (this.options.maxRestarts ?? 3);
    const next = restart ? 'It was restarted: run the operation again.' : 'Restart PQV Studio.';
    this.failAll(
      new PqvError('ENGINE_CRASHED', `The PQV Studio engine stopped unexpectedly (exit code ${code}). ${next}`, {
        exitCode: code,
      }),
    );
    if (restart) this.start();
    this.options.onCrash?.({ code, restarted: restart });
  }
}
