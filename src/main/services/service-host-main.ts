/**
 * Entry of the service-host child process. Runs as an Electron utility process (messages on `process.parentPort`)
 * or as a Node child made with `child_process.fork` (messages on `process.on('message')` / `process.send`).
 * It never imports `electron`: the utility-process port is recognised by its shape.
 * Flags: see `parseHostArgs` (`--mode=…`, `--parent-ops=exportPdf`).
 */
// Static import: bundled into this entry, the engine's modules sit next to the workers they fork (out/main).
import { createApiService } from './api-service.js';
import { parseHostArgs, type FromHostMessage } from './host-protocol.js';
import { startServiceHost, type HostPort } from './service-host.js';

/** The part of Electron's `process.parentPort` the host uses. */
interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): unknown;
}

function isParentPort(p: unknown): p is ParentPortLike {
  const o = p as Partial<ParentPortLike> | null | undefined;
  return typeof o?.postMessage === 'function' && typeof o.on === 'function';
}

function parentTransport(): HostPort {
  const parentPort: unknown = (process as unknown as { parentPort?: unknown }).parentPort;
  if (isParentPort(parentPort)) {
    // Live until the parent stops us (it kills the utility process), even when no engine work holds the event loop.
    setInterval(() => undefined, 1 << 30);
    return {
      send: (m: FromHostMessage) => parentPort.postMessage(m),
      onMessage: (listener) => {
        parentPort.on('message', (e) => listener(e.data));
      },
    };
  }
  const send = process.send?.bind(process);
  if (send) {
    // The parent went away: nothing can reach us any more.
    process.once('disconnect', () => process.exit(0));
    return {
      send: (m: FromHostMessage) => {
        send(m);
      },
      onMessage: (listener) => {
        process.on('message', listener);
      },
    };
  }
  throw new Error('The service host must run as a utility process or a forked Node child process.');
}

const host = startServiceHost({
  port: parentTransport(),
  args: parseHostArgs(process.argv.slice(2)),
  createService: createApiService,
});
process.once('SIGTERM', () => {
  void host.close().finally(() => process.exit(0));
});
