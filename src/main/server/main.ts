/**
 * Browser-mode entry: starts the API service and the HTTP/WS server on 127.0.0.1 and prints the URL with the token.
 * Port: `--port N`, else `PQV_PORT`, else 0 (a random free port).
 */
import { createApiService } from '../services/api-service.js';
import { ensureRendererBuilt } from './build-renderer.js';
import { startServer, type RunningServer } from './http-server.js';

/** Port from `--port N` / `--port=N`, else `PQV_PORT`, else 0. */
export function parsePort(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  let raw: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--port') raw = argv[i + 1];
    else if (a.startsWith('--port=')) raw = a.slice('--port='.length);
  });
  raw ??= env.PQV_PORT;
  if (raw === undefined || raw === '') return 0;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port "${raw}": use 0…65535.`);
  return port;
}

/** Start browser mode and print its URL. */
export async function startBrowserMode(argv: string[] = process.argv.slice(2)): Promise<RunningServer> {
  const port = parsePort(argv);
  const rendererDir = await ensureRendererBuilt((l) => process.stdout.write(`${l}\n`));
  const service = await createApiService({ mode: 'browser' });
  const server = await startServer({ service, rendererDir, port });
  process.stdout.write(`PQV Studio is running at ${server.url}\n`);
  const stop = (): void => {
    service.close();
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntry) {
  startBrowserMode().catch((e: unknown) => {
    process.stderr.write(`PQV Studio could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
