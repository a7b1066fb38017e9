/**
 * VirtualPhone: a simulated adbd speaking the device side of the adb protocol over TCP, so the real
 * adb server can `adb connect` to it. CNXN (optionally AUTH that never completes), OPEN/OKAY/WRTE/CLSE
 * with one write in flight per stream, services `shell:` (v1), `shell,v2,…:` (shell protocol with
 * exit-status packets), `exec:` and `sync:`. Fault switches simulate unplugging, slow links, crashes,
 * a full disk, unauthorized and offline phones.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import {
  A_AUTH,
  A_CLSE,
  A_CNXN,
  A_OKAY,
  A_OPEN,
  A_VERSION_SKIP_CHECKSUM,
  A_WRTE,
  AUTH_SIGNATURE,
  AUTH_TOKEN,
  ByteQueue,
  MAX_PAYLOAD,
  MessageDecoder,
  encodeMessage,
  type AdbMessage,
} from './protocol.js';
import { VirtualFs } from './vfs.js';
import { defaultProfile, systemFiles, type PhoneProfile } from './profile.js';
import { noFaults, type PhoneFaults } from './faults.js';
import { Shell } from './shell.js';
import { makeShellHost, type PhoneRuntime } from './commands.js';
import { runSyncService } from './sync-service.js';

export interface VirtualPhoneOptions {
  /** Index used for default props (model names alternate) and the serial number. */
  index?: number;
  profile?: PhoneProfile;
  faults?: Partial<PhoneFaults>;
  /** Host directory that backs /data/local/tmp; a fresh temp dir when absent. */
  dataDir?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Stream {
  readonly input = new ByteQueue();
  private queue: Array<{ data: Buffer; done: () => void }> = [];
  private inFlight = false;
  private closed = false;
  private closeAfterFlush = false;
  readonly abort = new AbortController();

  constructor(
    private readonly t: Transport,
    readonly localId: number,
    readonly remoteId: number,
  ) {}

  write(data: Buffer): Promise<void> {
    if (this.closed || data.length === 0) return Promise.resolve();
    const max = this.t.maxData;
    const parts: Promise<void>[] = [];
    for (let off = 0; off < data.length; off += max) {
      const piece = data.subarray(off, off + max);
      parts.push(new Promise<void>((done) => this.queue.push({ data: piece, done })));
    }
    this.pump();
    return Promise.all(parts).then(() => undefined);
  }

  private pump(): void {
    if (this.inFlight || this.closed) return;
    const next = this.queue.shift();
    if (!next) {
      if (this.closeAfterFlush) this.closeNow();
      return;
    }
    this.inFlight = true;
    void this.t.throttle(next.data.length).then(() => {
      if (this.closed) return next.done();
      this.t.send(A_WRTE, this.localId, this.remoteId, next.data);
      next.done();
    });
  }

  onAck(): void {
    this.inFlight = false;
    this.pump();
  }

  close(): void {
    this.closeAfterFlush = true;
    if (!this.inFlight && this.queue.length === 0) this.closeNow();
  }

  private closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    this.t.send(A_CLSE, this.localId, this.remoteId);
    this.t.streams.delete(this.localId);
    this.abort.abort();
    this.input.end();
  }

  /** The host closed the stream. */
  onRemoteClose(): void {
    this.closed = true;
    for (const q of this.queue) q.done();
    this.queue = [];
    this.abort.abort();
    this.input.end();
  }
}

class Transport {
  readonly streams = new Map<number, Stream>();
  private nextId = 1;
  maxData = 256 * 1024;
  private readonly decoder = new MessageDecoder();
  private online = false;

  constructor(
    private readonly phone: VirtualPhone,
    private readonly socket: net.Socket,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      let msgs: AdbMessage[];
      try {
        msgs = this.decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const m of msgs) this.onMessage(m);
    });
    const cleanup = (): void => {
      for (const s of this.streams.values()) s.onRemoteClose();
      this.streams.clear();
    };
    socket.on('close', cleanup);
    socket.on('error', () => undefined);
  }

  send(cmd: number, a0: number, a1: number, data?: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(encodeMessage(cmd, a0, a1, data));
  }

  kill(): void {
    this.socket.destroy();
  }

  /** Slow-link delay for n bytes. */
  async throttle(n: number): Promise<void> {
    const bps = this.phone.faults.bytesPerSecond;
    if (bps && bps > 0) await sleep((n / bps) * 1000);
  }

  private onMessage(m: AdbMessage): void {
    const faults = this.phone.faults;
    switch (m.command) {
      case A_CNXN: {
        if (faults.offline) return; // never finish the handshake
        this.maxData = Math.min(m.arg1 || MAX_PAYLOAD, MAX_PAYLOAD);
        if (faults.unauthorized) {
          this.send(A_AUTH, AUTH_TOKEN, 0, crypto.randomBytes(20));
          return;
        }
        this.online = true;
        this.send(A_CNXN, A_VERSION_SKIP_CHECKSUM, MAX_PAYLOAD, Buffer.from(this.phone.banner()));
        return;
      }
      case A_AUTH:
        // Signatures are never accepted; a public key would need the user's consent, which never comes.
        if (m.arg0 === AUTH_SIGNATURE) this.send(A_AUTH, AUTH_TOKEN, 0, crypto.randomBytes(20));
        return;
      case A_OPEN: {
        if (!this.online) return;
        const service = m.data.toString('utf8').replace(/\0+$/, '');
        const s = new Stream(this, this.nextId++, m.arg0);
        this.streams.set(s.localId, s);
        this.send(A_OKAY, s.localId, s.remoteId);
        void this.phone.startService(service, s, this).catch(() => s.close());
        return;
      }
      case A_OKAY:
        this.streams.get(m.arg1)?.onAck();
        return;
      case A_WRTE: {
        const s = this.streams.get(m.arg1);
        if (!s) return;
        s.input.push(Buffer.from(m.data));
        void this.throttle(m.data.length).then(() => this.send(A_OKAY, s.localId, s.remoteId));
        return;
      }
      case A_CLSE: {
        const s = this.streams.get(m.arg1);
        if (s) {
          this.streams.delete(m.arg1);
          s.onRemoteClose();
        }
        return;
      }
      default:
        return;
    }
  }
}

function shellPacket(id: number, data: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt8(id, 0);
  h.writeUInt32LE(data.length, 1);
  return Buffer.concat([h, data]);
}

export class VirtualPhone {
  readonly faults: PhoneFaults;
  readonly profile: PhoneProfile;
  readonly vfs: VirtualFs;
  private server: net.Server | null = null;
  private readonly transports = new Set<Transport>();
  private readonly ownsDir: boolean;
  port = 0;
  /** Every shell command line the phone received, in order (for tests). */
  readonly commandLog: string[] = [];

  constructor(opts: VirtualPhoneOptions = {}) {
    this.profile = opts.profile ?? defaultProfile(opts.index ?? 0);
    this.faults = { ...noFaults(), ...opts.faults };
    this.ownsDir = !opts.dataDir;
    const dir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-vphone-'));
    this.vfs = new VirtualFs(dir, systemFiles(this.profile));
  }

  /** adb serial of this phone once connected: `127.0.0.1:PORT`. */
  get serial(): string {
    return `127.0.0.1:${this.port}`;
  }

  get dataDir(): string {
    return this.vfs.hostRoot;
  }

  setFaults(f: Partial<PhoneFaults>): void {
    Object.assign(this.faults, f);
  }

  banner(): string {
    const p = this.profile.props;
    return `device::ro.product.name=${p['ro.product.name']};ro.product.model=${p['ro.product.model']};ro.product.device=${p['ro.product.device']};features=shell_v2,cmd,fixed_push_mkdir`;
  }

  async start(port = 0): Promise<this> {
    this.server = net.createServer((sock) => {
      const t = new Transport(this, sock);
      this.transports.add(t);
      sock.on('close', () => this.transports.delete(t));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** Drop every link to the adb server (like pulling the cable); the phone keeps listening. */
  unplug(): void {
    for (const t of this.transports) t.kill();
  }

  async stop(): Promise<void> {
    this.unplug();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
    if (this.ownsDir) fs.rmSync(this.vfs.hostRoot, { recursive: true, force: true });
  }

  /** Run a service opened by the host on stream `s`. */
  async startService(service: string, s: Stream, t: Transport): Promise<void> {
    const rt: PhoneRuntime = { vfs: this.vfs, profile: this.profile, faults: this.faults };
    if (service === 'sync:') {
      await runSyncService(
        { input: s.input, write: (b) => s.write(b), close: () => s.close(), kill: () => t.kill() },
        this.vfs,
        this.faults,
      );
      s.close();
      return;
    }
    const m = /^(shell|exec)((?:,[^:]*)?):(.*)$/s.exec(service);
    if (!m) {
      s.close();
      return;
    }
    const v2 = m[1] === 'shell' && (m[2] ?? '').split(',').includes('v2');
    const cmd = m[3] ?? '';
    this.commandLog.push(cmd);
    const shell = new Shell(makeShellHost(rt));
    const writes: Promise<void>[] = [];
    const out = (b: Buffer): void => void writes.push(s.write(v2 ? shellPacket(1, b) : b));
    const err = (b: Buffer): void => void writes.push(s.write(v2 ? shellPacket(2, b) : b));
    let status: number;
    try {
      status = cmd.trim() === '' ? 0 : await shell.run(cmd, { out, err, signal: s.abort.signal });
    } catch (e) {
      // A bug in the simulation must not look like a dropped link.
      err(Buffer.from(`virtual phone internal error: ${(e as Error).stack ?? String(e)}\n`));
      status = 70;
    }
    if (v2) writes.push(s.write(shellPacket(3, Buffer.from([status & 0xff]))));
    await Promise.all(writes);
    s.close();
  }
}
