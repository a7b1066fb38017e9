/**
 * The API service of the desktop shell, run off the main thread: the engine lives in an Electron utility process
 * (`service-host-main.js`, built next to this file) and this module hands the IPC layer a `ServiceClient` that
 * forwards calls and events to it, prints PDFs for it with `printToPDF`, and restarts it if it crashes.
 */
import { utilityProcess, type UtilityProcess } from 'electron';
import { fileURLToPath } from 'node:url';
import { formatHostArgs, type ParentOps } from '../services/host-protocol.js';
import { ServiceClient, type HostChild } from '../services/service-client.js';

function utilityChild(proc: UtilityProcess): HostChild {
  return {
    send: (m) => proc.postMessage(m),
    onMessage: (listener) => {
      proc.on('message', listener);
    },
    onExit: (listener) => {
      proc.once('exit', listener);
    },
    kill: () => {
      proc.kill();
    },
  };
}

/** Start the engine's utility process and return the client the IPC layer calls. */
export function createServiceProxy(parent: ParentOps): ServiceClient {
  const entry = fileURLToPath(new URL('./service-host-main.js', import.meta.url));
  const args = formatHostArgs({ mode: 'electron', parentOps: ['exportPdf'] });
  return new ServiceClient({
    spawn: () => utilityChild(utilityProcess.fork(entry, args, { serviceName: 'PQV Studio engine', stdio: 'inherit' })),
    parent,
    onCrash: ({ code, restarted }) =>
      process.stderr.write(
        `PQV Studio engine exited with code ${code}; ${restarted ? 'restarted it' : 'too many crashes, not restarting'}.\n`,
      ),
  });
}
