import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { ApiService } from '../../../src/main/services/api-service.js';
import { startServer, safeUploadName, type RunningServer } from '../../../src/main/server/http-server.js';
import { parsePort } from '../../../src/main/server/main.js';
import type { ApiEvent } from '../../../src/common/api.js';
import { fakeEngine } from './fake-engine.js';

let home: string;
let server: RunningServer;
let base: string;
const oldHome = process.env.PQV_HOME;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'pqv-server-'));
  process.env.PQV_HOME = home;
  const renderer = join(home, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>PQV</title>');
  writeFileSync(join(home, 'secret.txt'), 'not for the web');
  const service = new ApiService(fakeEngine(home, { slowBench: true }), { mode: 'browser' });
  server = await startServer({ service, rendererDir: renderer, port: 0, token: 't0ken' });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
  process.env.PQV_HOME = oldHome;
});

const post = (method: string, body: unknown, headers: Record<string, string> = { Authorization: 'Bearer t0ken' }) =>
  fetch(`${base}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** Raw GET with a chosen Host header (fetch does not allow setting it). */
function getWithHost(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { Host: host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('browser-mode server', () => {
  it('prints a URL on 127.0.0.1 with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=t0ken`);
  });

  it('refuses API calls without the right token (401) and accepts Bearer or ?token=', async () => {
    const none = await post('app.info', {}, {});
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    expect((await post('app.info', {}, { Authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await post('app.info', {});
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { ok: boolean; data: { mode: string; dataDir: string } };
    expect(body.data.mode).toBe('browser');
    expect(body.data.dataDir).toBe(home);
    const viaQuery = await fetch(`${base}/api/model.inspect?token=t0ken`, {
      method: 'POST',
      body: JSON.stringify({ path: join(home, 'secret.txt') }),
    });
    expect(((await viaQuery.json()) as { data: { params: number } }).data.params).toBe(42);
  });

  it('answers invalid arguments with 400 and the coded error', async () => {
    const res = await post('bench.run', {
      modelPath: '/m',
      device: 'host',
      backend: 'host',
      runs: -1,
      warmup: 0,
      threads: 0,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT');
    expect((await post('no.such', {})).status).toBe(400);
  });

  it('serves the renderer with a strict CSP and never files outside it', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const traversal = await fetch(`${base}/..%2Fsecret.txt`);
    expect(await traversal.text()).not.toContain('not for the web');
  });

  it('refuses requests whose Host is not this server (DNS rebinding)', async () => {
    expect(await getWithHost('/', `evil.example:${server.port}`)).toBe(403);
    expect(await getWithHost('/', `localhost:${server.port}`)).toBe(200);
  });

  it('stores uploads in the data folder under a safe name', async () => {
    const res = await fetch(`${base}/api/upload?name=${encodeURIComponent('../my model.onnx')}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer t0ken' },
      body: new Uint8Array([1, 2, 3, 4]),
    });
    const body = (await res.json()) as { data: { path: string; bytes: number } };
    expect(body.data.path).toBe(join(home, 'uploads', 'my_model.onnx'));
    expect(body.data.bytes).toBe(4);
    expect([...readFileSync(body.data.path)]).toEqual([1, 2, 3, 4]);
    expect(() => safeUploadName('evil.sh')).toThrow(/ONNX/);
    const noToken = await fetch(`${base}/api/upload?name=x.onnx`, { method: 'POST', body: new Uint8Array([1]) });
    expect(noToken.status).toBe(401);
    expect(existsSync(join(home, 'uploads', 'x.onnx'))).toBe(false);
  });

  it('refuses the event socket without the token', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`);
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });

  it('streams job progress over the socket and cancels the job with job.cancel', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=t0ken`);
    await new Promise((r) => ws.once('open', r));
    const events: ApiEvent[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m)) as ApiEvent));
    const pending = post('bench.run', {
      jobId: 'job-1',
      modelPath: '/m.onnx',
      device: 'host',
      backend: 'host',
      runs: 3,
      warmup: 0,
      threads: 1,
    });
    await expect.poll(() => events.some((e) => e.type === 'job.progress' && e.jobId === 'job-1')).toBe(true);
    const cancel = (await (await post('job.cancel', { jobId: 'job-1' })).json()) as { data: { cancelled: boolean } };
    expect(cancel.data.cancelled).toBe(true);
    const res = await pending;
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('CANCELLED');
    await expect
      .poll(() => events.find((e) => e.type === 'job.finished'))
      .toMatchObject({ jobId: 'job-1', status: 'cancelled' });
    ws.close();
    const runs = (await (await post('results.list', {})).json()) as { data: Array<{ status: string }> };
    expect(runs.data[0]?.status).toBe('cancelled');
  });
});

describe('port selection', () => {
  it('takes --port, then PQV_PORT, else 0', () => {
    expect(parsePort(['--port', '8123'], {})).toBe(8123);
    expect(parsePort(['--port=9000'], { PQV_PORT: '1' })).toBe(9000);
    expect(parsePort([], { PQV_PORT: '7000' })).toBe(7000);
    expect(parsePort([], {})).toBe(0);
    expect(() => parsePort(['--port', 'abc'], {})).toThrow(/Invalid port/);
  });
});
