/**
 * The `sync:` service of the virtual phone (file_sync_service protocol v1): STAT, LIST, SEND, RECV,
 * DONE, QUIT. Requests are 8 bytes (4-char id + u32 length) followed by a payload; SEND streams DATA
 * chunks (≤ 64 KiB) and ends with DONE + mtime; errors are FAIL + message.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ByteQueue } from './protocol.js';
import type { VirtualFs } from './vfs.js';
import type { PhoneFaults } from './faults.js';

const SYNC_DATA_MAX = 64 * 1024;

export interface SyncChannel {
  input: ByteQueue;
  write(b: Buffer): Promise<void>;
  close(): void;
  /** Drop the whole link (simulated unplug). */
  kill(): void;
}

function header(id: string, n: number): Buffer {
  const b = Buffer.alloc(8);
  b.write(id, 0, 'latin1');
  b.writeUInt32LE(n >>> 0, 4);
  return b;
}

function fail(msg: string): Buffer {
  const m = Buffer.from(msg);
  return Buffer.concat([header('FAIL', m.length), m]);
}

function errText(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EROFS') return 'Read-only file system';
  if (code === 'ENOSPC') return 'No space left on device';
  if (code === 'EISDIR') return 'Is a directory';
  return (e as Error).message;
}

export async function runSyncService(ch: SyncChannel, vfs: VirtualFs, faults: PhoneFaults): Promise<void> {
  for (;;) {
    const head = await ch.input.read(8);
    if (!head) return;
    const id = head.toString('latin1', 0, 4);
    const len = head.readUInt32LE(4);
    if (id === 'QUIT') {
      ch.close();
      return;
    }
    const payload = await ch.input.read(len);
    if (!payload) return;
    const arg = payload.toString('utf8');
    if (id === 'STAT') {
      const st = vfs.stat(arg);
      const out = Buffer.alloc(16);
      out.write('STAT', 0, 'latin1');
      if (st) {
        out.writeUInt32LE(st.mode >>> 0, 4);
        out.writeUInt32LE(Math.min(st.size, 0xffffffff), 8);
        out.writeUInt32LE(st.mtimeSec >>> 0, 12);
      }
      await ch.write(out);
    } else if (id === 'LIST') {
      const st = vfs.stat(arg);
      const parts: Buffer[] = [];
      if (st?.isDir) {
        for (const name of ['.', '..', ...vfs.list(arg)]) {
          const s = name === '.' || name === '..' ? st : vfs.stat(path.posix.join(arg, name));
          if (!s) continue;
          const n = Buffer.from(name);
          const d = Buffer.alloc(20);
          d.write('DENT', 0, 'latin1');
          d.writeUInt32LE(s.mode >>> 0, 4);
          d.writeUInt32LE(Math.min(s.size, 0xffffffff), 8);
          d.writeUInt32LE(s.mtimeSec >>> 0, 12);
          d.writeUInt32LE(n.length, 16);
          parts.push(d, n);
        }
      }
      const done = Buffer.alloc(20);
      done.write('DONE', 0, 'latin1');
      parts.push(done);
      await ch.write(Buffer.concat(parts));
    } else if (id === 'SEND') {
      const comma = arg.lastIndexOf(',');
      const devPath = comma >= 0 ? arg.slice(0, comma) : arg;
      const mode = comma >= 0 ? Number(arg.slice(comma + 1)) : 0o644;
      if (!(await receiveFile(ch, vfs, faults, devPath, mode))) return;
    } else if (id === 'RECV') {
      let data: Buffer;
      try {
        data = vfs.readFile(arg);
      } catch (e) {
        await ch.write(fail(`open failed: ${errText(e)}`));
        continue;
      }
      const chunks: Buffer[] = [];
      for (let off = 0; off < data.length; off += SYNC_DATA_MAX) {
        const piece = data.subarray(off, off + SYNC_DATA_MAX);
        chunks.push(header('DATA', piece.length), piece);
      }
      chunks.push(header('DONE', 0));
      await ch.write(Buffer.concat(chunks));
    } else {
      await ch.write(fail(`unknown sync request '${id}'`));
      ch.close();
      return;
    }
  }
}

/** Handle one SEND; false when the link died. */
async function receiveFile(
  ch: SyncChannel,
  vfs: VirtualFs,
  faults: PhoneFaults,
  devPath: string,
  mode: number,
): Promise<boolean> {
  let error: string | null = null;
  let fd: number | null = null;
  let host: string | null = null;
  try {
    host = vfs.writableHostPath(devPath);
    fs.mkdirSync(path.dirname(host), { recursive: true });
    fd = fs.openSync(host, 'w', mode & 0o777);
  } catch (e) {
    error = `couldn't create file: ${errText(e)}`;
  }
  let received = 0;
  for (;;) {
    const head = await ch.input.read(8);
    if (!head) {
      if (fd !== null) fs.closeSync(fd);
      return false;
    }
    const id = head.toString('latin1', 0, 4);
    const n = head.readUInt32LE(4);
    if (id === 'DATA') {
      const data = await ch.input.read(n);
      if (!data) {
        if (fd !== null) fs.closeSync(fd);
        return false;
      }
      received += data.length;
      if (faults.disconnectAfterBytes !== null && received >= faults.disconnectAfterBytes) {
        faults.disconnectAfterBytes = null;
        if (fd !== null) fs.closeSync(fd);
        ch.kill();
        return false;
      }
      if (error === null && faults.noSpace) error = 'write failed: No space left on device';
      if (error === null && fd !== null) fs.writeSync(fd, data);
    } else if (id === 'DONE') {
      if (fd !== null) {
        fs.closeSync(fd);
        if (error === null) fs.chmodSync(host!, mode & 0o777);
        else fs.rmSync(host!, { force: true });
      }
      await ch.write(error === null ? header('OKAY', 0) : fail(error));
      return true;
    } else {
      if (fd !== null) fs.closeSync(fd);
      await ch.write(fail(`unexpected sync request '${id}' during SEND`));
      ch.close();
      return false;
    }
  }
}
