/**
 * The service host: owns an `ApiService` (and so the engine) inside a child process and serves it over the
 * message protocol of `host-protocol.ts`. It knows nothing of the transport: `service-host-main.ts` hands it a
 * `HostPort` for an Electron utility process or a Node `fork` channel.
 */
import { PqvError, deserializeError, serializeError } from '../../common/errors.js';
import type { ApiService, ApiServiceOptions } from './api-service.js';
import {
  isMessage,
  type FromHostMessage,
  type HostArgs,
  type ParentOp,
  type ParentOps,
  type ParentResultMessage,
  type ToHostMessage,
} from './host-protocol.js';

/** The host's side of the channel to its parent. */
export interface HostPort {
  send(message: FromHostMessage): void;
  /** Register the receiver of every message from the parent. */
  onMessage(listener: (message: unknown) => void): void;
}

export interface ServiceHostOptions {
  port: HostPort;
  args: HostArgs;
  /** Builds the service (`createApiService` in the host entry; a stand-in in tests). */
  createService: (options: ApiServiceOptions) => Promise<ApiService>;
}

export interface ServiceHost {
  /** Settles once the service exists (rejects when it could not be built; calls then answer with that error). */
  ready: Promise<void>;
  /** Abort running jobs and stop watchers. */
  close(): Promise<void>;
}

export function startServiceHost(options: ServiceHostOptions): ServiceHost {
  const { port, args } = options;
  const parentCalls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextParentId = 1;

  const parentCall = <Op extends ParentOp>(op: Op, callArgs: Parameters<ParentOps[Op]>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextParentId++;
      parentCalls.set(id, { resolve, reject });
      port.send({ kind: 'parent-call', id, op, args: callArgs });
    });

  const serviceOptions: ApiServiceOptions = { mode: args.mode };
  if (args.parentOps.includes('exportPdf')) {
    serviceOptions.exportPdf = async (html, outPath) => {
      await parentCall('exportPdf', [html, outPath]);
    };
  }

  const service = options.createService(serviceOptions).then((s) => {
    s.onEvent((event) => port.send({ kind: 'event', event }));
    return s;
  });
  // Keep an unobserved rejection from killing the process; calls report it instead.
  service.catch(() => undefined);

  const reply = (message: FromHostMessage): void => {
    try {
      port.send(message);
    } catch (e) {
      // A value that cannot cross the process boundary is a bug in the handler: report it, do not hang the call.
      if (message.kind === 'result') port.send({ kind: 'error', id: message.id, error: serializeError(e) });
      else throw e;
    }
  };

  const onParentResult = (m: ParentResultMessage): void => {
    const pending = parentCalls.get(m.id);
    if (!pending) return;
    parentCalls.delete(m.id);
    if (m.ok) pending.resolve(m.value);
    else pending.reject(deserializeError(m.error));
  };

  port.onMessage((raw) => {
    if (!isMessage(raw)) return;
    const m = raw as ToHostMessage;
    if (m.kind === 'parent-result') {
      onParentResult(m);
      return;
    }
    if (m.kind !== 'call') return;
    void (async () => {
      try {
        if (typeof m.method !== 'string') throw new PqvError('INVALID_ARGUMENT', 'The method name must be a string.');
        const value = await (await service).dispatch(m.method, m.params);
        reply({ kind: 'result', id: m.id, value });
      } catch (e) {
        reply({ kind: 'error', id: m.id, error: serializeError(e) });
      }
    })();
  });
  port.send({ kind: 'ready' });

  return {
    ready: service.then(() => undefined),
    close: () => service.then((s) => s.close()).catch(() => undefined),
  };
}
