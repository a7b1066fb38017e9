/**
 * Browser mode: an HTTP + WebSocket server bound to 127.0.0.1 only. Every API call and the WebSocket need the
 * per-launch token (`Authorization: Bearer …` or `?token=`), else 401. Routes:
 *   GET  /…                      the built renderer (strict CSP)
 *   POST /api/<method>           JSON request → `{ok, data}` / `{ok:false, error}`
 *   POST /api/upload?name=F      raw model bytes → `{ok, data:{path}}` (stored in the data folder)
 *   GET  /api/files/<name>       a written report file (download)
 *   WS   /api/events             the event stream (JSON `ApiEvent` messages)
 * Requests whose Host header is not this server (DNS rebinding) are refused.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PqvError, serializeError } from '../../common/errors.js';
import type { ApiResult } from '../../common/api.js';
import type { ApiService } from '../services/api-service.js';
import { dataSubdir } from '../services/paths.js';
import { SECURITY_HEADERS, appCsp, serveStatic } from './static-files.js';
import { httpStatusFor } from './status.js';

export interface ServerOptions {
  service: ApiService;
  /** Folder of the built renderer. */
  rendererDir: string;
  /** 0 = random free port. */
  port?: number;
  /** Fixed token (tests); default a random 32-byte hex token. */
  token?: string;
  /** Largest accepted model upload, bytes. Default 4 GiB. */
  maxUploadBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_JSON_BYTES = 1 << 20;

function tokenFrom(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return new URL(req.url ?? '/', 'http://x').searchParams.get('token');
}

function sameToken(a: string | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, e: unknown): void {
  const error = serializeError(e);
  const body: ApiResult<never> = { ok: false, error };
  sendJson(res, httpStatusFor(error.code), body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BYTES) throw new PqvError('INVALID_ARGUMENT', 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PqvError('INVALID_ARGUMENT', 'The request body is not valid JSON.');
  }
}

/** Keep letters, digits, dot, dash, underscore; make it an .onnx/.data file name. */
export function safeUploadName(name: string | null): string {
  const base = basename(name ?? '')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\.+/, '');
  if (!base || !/\.(onnx|data|bin)$/i.test(base)) {
    throw new PqvError(
      'INVALID_ARGUMENT',
      'Upload an ONNX model file (.onnx), or its external data file (.data/.bin).',
    );
  }
  return base;
}

async function handleUpload(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<void> {
  const name = safeUploadName(new URL(req.url ?? '/', 'http://x').searchParams.get('name'));
  const dest = join(dataSubdir('uploads'), name);
  let size = 0;
  try {
    await pipeline(
      req,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length;
          if (size > maxBytes) throw new PqvError('INVALID_ARGUMENT', `The file is larger than ${maxBytes} bytes.`);
          yield chunk;
        }
      },
      createWriteStream(dest),
    );
  } catch (e) {
    if (existsSync(dest)) unlinkSync(dest);
    throw e;
  }
  if (size === 0) {
    unlinkSync(dest);
    throw new PqvError('MODEL_EMPTY', 'The uploaded file is empty. Pick the model file again.');
  }
  sendJson(res, 200, { ok: true, data: { path: dest, bytes: size } });
}

function handleDownload(res: ServerResponse, rawName: string): void {
  const name = basename(decodeURIComponent(rawName));
  const file = join(dataSubdir('reports'), name);
  if (!name || !existsSync(file)) throw new PqvError('FILE_NOT_FOUND', `No report file named ${name}.`);
  const type = name.endsWith('.pdf') ? 'application/pdf' : name.endsWith('.csv') ? 'text/csv' : 'application/json';
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': String(statSync(file).size),
    'Content-Disposition': `attachment; filename="${name}"`,
  });
  createReadStream(file).pipe(res);
}

/** Start the server; resolves once it listens. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  const maxUpload = opts.maxUploadBytes ?? 4 * 1024 ** 3;
  let origin = '';
  let allowedHosts = new Set<string>();

  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (!allowedHosts.has(req.headers.host ?? '')) {
          sendJson(res, 403, { ok: false, error: { code: 'UNAUTHORIZED', message: 'Unexpected Host header.' } });
          return;
        }
        const url = new URL(req.url ?? '/', origin);
        if (!url.pathname.startsWith('/api/')) {
          if (req.method !== 'GET' && req.method !== 'HEAD') {
            res.writeHead(405).end();
            return;
          }
          serveStatic(opts.rendererDir, req, res, appCsp(origin));
          return;
        }
        if (!sameToken(tokenFrom(req), token)) {
          throw new PqvError('UNAUTHORIZED', 'Missing or wrong token: open the URL printed by PQV Studio at start-up.');
        }
        if (req.method === 'GET' && url.pathname.startsWith('/api/files/')) {
          handleDownload(res, url.pathname.slice('/api/files/'.length));
          return;
        }
        if (req.method !== 'POST') throw new PqvError('INVALID_ARGUMENT', 'Use POST for API calls.');
        if (url.pathname === '/api/upload') {
          await handleUpload(req, res, maxUpload);
          return;
        }
        const method = decodeURIComponent(url.pathname.slice('/api/'.length));
        const body = await readJson(req);
        const data = await opts.service.dispatch(method, body);
        sendJson(res, 200, { ok: true, data });
      } catch (e) {
        if (!res.headersSent) sendError(res, e);
        else res.destroy();
      }
    })();
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  const unsubscribe = opts.service.onEvent((event) => {
    const msg = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (
      url.pathname !== '/api/events' ||
      !allowedHosts.has(req.headers.host ?? '') ||
      !sameToken(tokenFrom(req), token)
    ) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
    });
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, HOST, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${HOST}:${port}`;
  allowedHosts = new Set([`${HOST}:${port}`, `localhost:${port}`]);

  return {
    url: `${origin}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
