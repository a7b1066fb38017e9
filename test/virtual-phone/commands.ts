/**
 * The virtual phone's command set (toybox-style): getprop, dumpsys, cat, ls, echo, mkdir, rm, chmod,
 * sha256sum, taskset, touch, cd, true/false, sleep — plus executing pushed files, where a file named
 * `onnxruntime_perf_test` runs the perf-test stand-in.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CommandContext, CommandImpl, ShellHost, ShellState } from './shell.js';
import type { VirtualFs } from './vfs.js';
import { dumpsysBattery, dumpsysThermal, type PhoneProfile } from './profile.js';
import { runPerfTestStandIn } from './perf-standin.js';
import type { PhoneFaults } from './faults.js';

export interface PhoneRuntime {
  vfs: VirtualFs;
  profile: PhoneProfile;
  faults: PhoneFaults;
}

function errno(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'ENOTDIR') return 'Not a directory';
  if (code === 'EISDIR') return 'Is a directory';
  if (code === 'EROFS') return 'Read-only file system';
  if (code === 'EACCES') return 'Permission denied';
  return (e as Error).message;
}

export function makeShellHost(rt: PhoneRuntime): ShellHost {
  const { vfs } = rt;
  const builtins: Record<string, CommandImpl> = {
    true: () => 0,
    false: () => 1,
    echo: (c) => {
      let args = c.argv.slice(1);
      let nl = true;
      if (args[0] === '-n') {
        nl = false;
        args = args.slice(1);
      }
      c.out(args.join(' ') + (nl ? '\n' : ''));
      return 0;
    },
    cd: (c) => {
      const target = vfs.resolve(c.argv[1] ?? '/', c.shell.cwd);
      const st = vfs.stat(target);
      if (!st || !st.isDir) {
        c.err(`/system/bin/sh: cd: ${target}: No such file or directory\n`);
        return 2;
      }
      c.shell.cwd = target;
      return 0;
    },
    getprop: (c) => {
      const props = rt.profile.props;
      if (c.argv[1] !== undefined) {
        c.out(`${props[c.argv[1]] ?? c.argv[2] ?? ''}\n`);
        return 0;
      }
      for (const k of Object.keys(props).sort()) c.out(`[${k}]: [${props[k]}]\n`);
      return 0;
    },
    dumpsys: (c) => {
      if (c.argv[1] === 'battery') c.out(dumpsysBattery(rt.profile));
      else if (c.argv[1] === 'thermalservice') c.out(dumpsysThermal(rt.profile));
      else c.out(`Can't find service: ${c.argv[1] ?? ''}\n`);
      return 0;
    },
    cat: (c) => {
      if (c.argv.length === 1) {
        c.out(c.stdin);
        return 0;
      }
      let status = 0;
      for (const f of c.argv.slice(1)) {
        try {
          c.out(vfs.readFile(vfs.resolve(f, c.shell.cwd)));
        } catch (e) {
          c.err(`cat: ${f}: ${errno(e)}\n`);
          status = 1;
        }
      }
      return status;
    },
    ls: (c) => {
      const args = c.argv.slice(1).filter((a) => !a.startsWith('-'));
      const long = c.argv.some((a) => /^-[a-zA-Z]*l/.test(a));
      let status = 0;
      for (const a of args.length ? args : ['.']) {
        const p = vfs.resolve(a, c.shell.cwd);
        const st = vfs.stat(p);
        if (!st) {
          c.err(`ls: ${a}: No such file or directory\n`);
          status = 1;
          continue;
        }
        const names = st.isDir ? vfs.list(p) : [a];
        for (const n of names) {
          if (!long) c.out(`${n}\n`);
          else {
            const s = vfs.stat(st.isDir ? path.posix.join(p, n) : p);
            c.out(`${s?.isDir ? 'd' : '-'}rwxr-xr-x 1 shell shell ${s?.size ?? 0} 2024-01-01 00:00 ${n}\n`);
          }
        }
      }
      return status;
    },
    mkdir: (c) => {
      const parents = c.argv.includes('-p');
      let status = 0;
      for (const d of c.argv.slice(1).filter((a) => !a.startsWith('-'))) {
        try {
          fs.mkdirSync(vfs.writableHostPath(vfs.resolve(d, c.shell.cwd)), { recursive: parents });
        } catch (e) {
          if (!(parents && (e as { code?: string }).code === 'EEXIST')) {
            c.err(`mkdir: '${d}': ${errno(e)}\n`);
            status = 1;
          }
        }
      }
      return status;
    },
    rm: (c) => {
      const flags = c.argv
        .slice(1)
        .filter((a) => a.startsWith('-'))
        .join('');
      const force = flags.includes('f');
      const recursive = /r|R/.test(flags);
      let status = 0;
      for (const f of c.argv.slice(1).filter((a) => !a.startsWith('-'))) {
        try {
          const host = vfs.writableHostPath(vfs.resolve(f, c.shell.cwd));
          if (!fs.existsSync(host)) {
            if (!force) throw Object.assign(new Error(''), { code: 'ENOENT' });
            continue;
          }
          fs.rmSync(host, { recursive, force });
        } catch (e) {
          c.err(`rm: ${f}: ${errno(e)}\n`);
          status = 1;
        }
      }
      return status;
    },
    chmod: (c) => {
      const [mode, ...files] = c.argv.slice(1);
      if (!mode || !/^[0-7]{3,4}$/.test(mode)) {
        c.err(`chmod: bad mode '${mode ?? ''}'\n`);
        return 1;
      }
      let status = 0;
      for (const f of files) {
        try {
          fs.chmodSync(vfs.writableHostPath(vfs.resolve(f, c.shell.cwd)), parseInt(mode, 8));
        } catch (e) {
          c.err(`chmod: ${f}: ${errno(e)}\n`);
          status = 1;
        }
      }
      return status;
    },
    mv: (c) => {
      const [src, dst] = c.argv.slice(1).filter((a) => !a.startsWith('-'));
      if (!src || !dst) {
        c.err('mv: Need 2 arguments\n');
        return 1;
      }
      try {
        const from = vfs.writableHostPath(vfs.resolve(src, c.shell.cwd));
        let to = vfs.writableHostPath(vfs.resolve(dst, c.shell.cwd));
        if (fs.existsSync(to) && fs.statSync(to).isDirectory()) to = path.join(to, path.basename(from));
        fs.renameSync(from, to);
        return 0;
      } catch (e) {
        c.err(`mv: ${src}: ${errno(e)}\n`);
        return 1;
      }
    },
    touch: (c) => {
      let status = 0;
      for (const f of c.argv.slice(1)) {
        try {
          const host = vfs.writableHostPath(vfs.resolve(f, c.shell.cwd));
          fs.closeSync(fs.openSync(host, 'a'));
        } catch (e) {
          c.err(`touch: ${f}: ${errno(e)}\n`);
          status = 1;
        }
      }
      return status;
    },
    sha256sum: (c) => {
      let status = 0;
      for (const f of c.argv.slice(1)) {
        try {
          const data = vfs.readFile(vfs.resolve(f, c.shell.cwd));
          c.out(`${crypto.createHash('sha256').update(data).digest('hex')}  ${f}\n`);
        } catch (e) {
          c.err(`sha256sum: ${f}: ${errno(e)}\n`);
          status = 1;
        }
      }
      return status;
    },
    sleep: async (c) => {
      await new Promise((r) => setTimeout(r, Number(c.argv[1] ?? '0') * 1000));
      return 0;
    },
    taskset: async (c) => {
      const [mask, ...rest] = c.argv.slice(1);
      if (!mask || !/^(0x)?[0-9a-fA-F]+$/.test(mask) || rest.length === 0) {
        c.err('taskset: usage: taskset [-p] [mask] [PID | cmd [args...]]\n');
        return 1;
      }
      const impl = host.lookup(rest[0]!, c.shell);
      if (typeof impl !== 'function') {
        c.err(`taskset: exec ${rest[0]}: ${impl.error}\n`);
        return impl.status;
      }
      return impl({ ...c, argv: rest, env: { ...c.env, PQV_CPU_MASK: mask } });
    },
  };

  const host: ShellHost = {
    resolve: (p, cwd) => vfs.resolve(p, cwd),
    readFile: (p) => vfs.readFile(p),
    writeFile: (p, data, append) => {
      const h = vfs.writableHostPath(p);
      if (append) fs.appendFileSync(h, data);
      else fs.writeFileSync(h, data);
    },
    lookup: (name: string, state: ShellState) => {
      if (!name.includes('/')) {
        const b = builtins[name];
        return b ?? { error: 'inaccessible or not found', status: 127 };
      }
      const devPath = vfs.resolve(name, state.cwd);
      const st = vfs.stat(devPath);
      if (!st || st.isDir) return { error: 'inaccessible or not found', status: 127 };
      if ((st.mode & 0o111) === 0) return { error: "can't execute: Permission denied", status: 126 };
      if (path.posix.basename(devPath) === 'onnxruntime_perf_test') {
        return (c: CommandContext) => runPerfTestStandIn(c, devPath, rt);
      }
      return () => 0;
    },
  };
  return host;
}
