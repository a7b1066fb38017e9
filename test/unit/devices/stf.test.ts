import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StfClient } from '../../../src/main/engine/devices/stf.js';

interface Call {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

describe('STF client against a fake STF server', () => {
  const calls: Call[] = [];
  const reserved = new Set<string>();
  let server: http.Server;
  let base = '';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        calls.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
        const send = (status: number, obj: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(obj));
        };
        if (req.headers.authorization !== 'Bearer good-token')
          return send(401, { success: false, description: 'Unauthorized' });
        if (req.method === 'GET' && req.url === '/api/v1/devices') {
          return send(200, {
            success: true,
            devices: [
              { serial: 'R5CT1', present: true, ready: true, using: false, owner: null, model: 'SM-S911B' },
              { serial: 'BUSY1', present: true, ready: true, using: false, owner: { email: 'x@y' } },
            ],
          });
        }
        if (req.method === 'POST' && req.url === '/api/v1/user/devices') {
          const { serial } = JSON.parse(body) as { serial: string };
          if (reserved.has(serial)) return send(403, { success: false, description: 'Device is being used' });
          reserved.add(serial);
          return send(200, { success: true, description: 'Device successfully added' });
        }
        const m = /^\/api\/v1\/user\/devices\/([^/]+)(\/remoteConnect)?$/.exec(req.url!);
        if (m && req.method === 'POST' && m[2]) return send(200, { success: true, remoteConnectUrl: '127.0.0.1:7401' });
        if (m && req.method === 'DELETE' && !m[2]) {
          reserved.delete(decodeURIComponent(m[1]!));
          return send(200, { success: true, description: 'Device successfully removed' });
        }
        send(404, { success: false, description: 'Not Found' });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('lists, reserves, remote-connects and releases with the bearer token', async () => {
    const stf = new StfClient({ baseUrl: base, token: 'good-token' });
    const devices = await stf.listDevices();
    expect(devices.map((d) => d.serial)).toEqual(['R5CT1', 'BUSY1']);
    await stf.reserve('R5CT1', 60_000);
    expect(JSON.parse(calls.at(-1)!.body)).toEqual({ serial: 'R5CT1', timeout: 60_000 });
    await expect(stf.reserve('R5CT1')).rejects.toMatchObject({
      code: 'STF_FAILED',
      message: expect.stringContaining('Device is being used'),
    });
    expect(await stf.remoteConnect('R5CT1')).toBe('127.0.0.1:7401');
    await stf.release('R5CT1');
    expect(reserved.size).toBe(0);
    expect(calls.every((c) => c.auth === 'Bearer good-token')).toBe(true);
  });

  it('reports a bad token, a busy device and an unreachable server as STF_FAILED', async () => {
    await expect(new StfClient({ baseUrl: base, token: 'bad' }).listDevices()).rejects.toMatchObject({
      code: 'STF_FAILED',
      message: expect.stringContaining('401'),
    });
    await expect(new StfClient({ baseUrl: base, token: 'good-token' }).acquire('BUSY1')).rejects.toMatchObject({
      code: 'STF_FAILED',
      message: expect.stringContaining('x@y'),
    });
    await expect(new StfClient({ baseUrl: base, token: 'good-token' }).acquire('NOPE')).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
    });
    await expect(
      new StfClient({ baseUrl: 'http://127.0.0.1:1', token: 't', timeoutMs: 2000 }).listDevices(),
    ).rejects.toMatchObject({ code: 'STF_FAILED' });
  });
});
