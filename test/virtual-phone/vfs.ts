/**
 * The virtual phone's file system: `/data/local/tmp/**` lives in a real temporary directory on this
 * computer; a few read-only system files (/proc/meminfo, /sys/devices/system/cpu/...) are in memory.
 */
import fs from 'node:fs';
import path from 'node:path';

export const WRITABLE_ROOT = '/data/local/tmp';

export interface VfsStat {
  isDir: boolean;
  size: number;
  mode: number;
  mtimeSec: number;
}

export class VirtualFs {
  constructor(
    readonly hostRoot: string,
    private readonly staticFiles: Map<string, string>,
  ) {
    fs.mkdirSync(hostRoot, { recursive: true });
  }

  /** Normalize a device path against a working directory. */
  resolve(p: string, cwd = '/'): string {
    return path.posix.resolve(cwd, p);
  }

  /** Host path for a device path under /data/local/tmp, else null. */
  hostPath(devicePath: string): string | null {
    const p = path.posix.normalize(devicePath);
    if (p === WRITABLE_ROOT) return this.hostRoot;
    if (p.startsWith(`${WRITABLE_ROOT}/`))
      return path.join(this.hostRoot, ...p.slice(WRITABLE_ROOT.length + 1).split('/'));
    return null;
  }

  readStatic(devicePath: string): string | undefined {
    return this.staticFiles.get(path.posix.normalize(devicePath));
  }

  private staticDirChildren(dir: string): string[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const k of this.staticFiles.keys()) if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]!);
    for (const k of ['/data', '/data/local', '/data/local/tmp'])
      if (k.startsWith(prefix)) names.add(k.slice(prefix.length).split('/')[0]!);
    return [...names].filter(Boolean);
  }

  stat(devicePath: string): VfsStat | null {
    const p = path.posix.normalize(devicePath);
    const host = this.hostPath(p);
    if (host) {
      try {
        const st = fs.statSync(host);
        return { isDir: st.isDirectory(), size: st.size, mode: st.mode, mtimeSec: Math.floor(st.mtimeMs / 1000) };
      } catch {
        return null;
      }
    }
    const content = this.staticFiles.get(p);
    if (content !== undefined) return { isDir: false, size: Buffer.byteLength(content), mode: 0o100444, mtimeSec: 0 };
    if (p === '/' || this.staticDirChildren(p).length > 0)
      return { isDir: true, size: 4096, mode: 0o40755, mtimeSec: 0 };
    return null;
  }

  readFile(devicePath: string): Buffer {
    const host = this.hostPath(devicePath);
    if (host) return fs.readFileSync(host);
    const content = this.staticFiles.get(path.posix.normalize(devicePath));
    if (content === undefined) throw Object.assign(new Error('No such file or directory'), { code: 'ENOENT' });
    return Buffer.from(content);
  }

  list(devicePath: string): string[] {
    const host = this.hostPath(devicePath);
    if (host) return fs.readdirSync(host).sort();
    return this.staticDirChildren(path.posix.normalize(devicePath)).sort();
  }

  /** Host path of a writable device path; throws EACCES (Read-only file system) outside /data/local/tmp. */
  writableHostPath(devicePath: string): string {
    const host = this.hostPath(devicePath);
    if (!host) throw Object.assign(new Error('Read-only file system'), { code: 'EROFS' });
    return host;
  }
}
