/**
 * Device-side adb wire protocol: the 24-byte message header, command words and a streaming
 * message decoder. Layout (all little-endian u32): command, arg0, arg1, data_length, data_crc32,
 * magic (= command ^ 0xffffffff), followed by `data_length` payload bytes.
 */

export const A_SYNC = 0x434e5953;
export const A_CNXN = 0x4e584e43;
export const A_AUTH = 0x48545541;
export const A_OPEN = 0x4e45504f;
export const A_OKAY = 0x59414b4f;
export const A_CLSE = 0x45534c43;
export const A_WRTE = 0x45545257;
export const A_STLS = 0x534c5453;

/** Protocol version that lets both ends skip the payload checksum. */
export const A_VERSION_SKIP_CHECKSUM = 0x01000001;
export const MAX_PAYLOAD = 1024 * 1024;

export const AUTH_TOKEN = 1;
export const AUTH_SIGNATURE = 2;
export const AUTH_RSAPUBLICKEY = 3;

export interface AdbMessage {
  command: number;
  arg0: number;
  arg1: number;
  data: Buffer;
}

export function commandName(cmd: number): string {
  return Buffer.from([cmd & 0xff, (cmd >>> 8) & 0xff, (cmd >>> 16) & 0xff, (cmd >>> 24) & 0xff]).toString('latin1');
}

export function encodeMessage(command: number, arg0: number, arg1: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(command >>> 0, 0);
  header.writeUInt32LE(arg0 >>> 0, 4);
  header.writeUInt32LE(arg1 >>> 0, 8);
  header.writeUInt32LE(data.length, 12);
  let sum = 0;
  // Old peers (version < A_VERSION_SKIP_CHECKSUM) verify a byte sum; computing it is cheap for small packets.
  if (data.length <= 4096) for (const b of data) sum = (sum + b) >>> 0;
  header.writeUInt32LE(sum, 16);
  header.writeUInt32LE((command ^ 0xffffffff) >>> 0, 20);
  return data.length ? Buffer.concat([header, data]) : header;
}

/** Incremental decoder: feed socket chunks, get whole messages back. */
export class MessageDecoder {
  private chunks: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): AdbMessage[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const out: AdbMessage[] = [];
    for (;;) {
      if (this.size < 24) break;
      const head = this.peek(24);
      const len = head.readUInt32LE(12);
      if (this.size < 24 + len) break;
      const all = this.take(24 + len);
      const command = all.readUInt32LE(0);
      const magic = all.readUInt32LE(20);
      if ((command ^ 0xffffffff) >>> 0 !== magic) throw new Error(`bad adb message magic for ${commandName(command)}`);
      out.push({ command, arg0: all.readUInt32LE(4), arg1: all.readUInt32LE(8), data: all.subarray(24) });
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0] && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const head = joined.subarray(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.size -= n;
    return head;
  }
}

/** A byte queue with awaitable reads, used by the sync service to parse requests split across packets. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private size = 0;
  private waiter: (() => void) | null = null;
  private ended = false;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.size += b.length;
    this.wake();
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  get buffered(): number {
    return this.size;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Read exactly n bytes; null when the queue ended first. */
  async read(n: number): Promise<Buffer | null> {
    while (this.size < n) {
      if (this.ended) return null;
      await new Promise<void>((r) => (this.waiter = r));
    }
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.size -= n;
      return out;
    }
    const joined = Buffer.concat(this.chunks);
    this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    this.size -= n;
    return joined.subarray(0, n);
  }
}
