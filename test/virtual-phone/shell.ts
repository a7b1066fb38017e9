/**
 * A small POSIX-shell interpreter for the virtual phone (parser in shell-parser.ts): expansion with field
 * splitting, command substitution, `;`/`&&`/`||`/`|` lists, `VAR=value cmd` prefixes and redirections.
 * Enough to run — and to attack — the commands the device code sends.
 */
import { Parser, type List, type Pipeline, type SimpleCommand, type Word } from './shell-parser.js';

export { ShellSyntaxError, shellWords } from './shell-parser.js';

/** What a command sees when it runs. */
export interface CommandContext {
  argv: string[];
  env: Record<string, string>;
  shell: ShellState;
  stdin: Buffer;
  out: (b: Buffer | string) => void;
  err: (b: Buffer | string) => void;
  signal: AbortSignal;
}

export type CommandImpl = (ctx: CommandContext) => Promise<number> | number;

export interface ShellState {
  cwd: string;
  vars: Record<string, string>;
  status: number;
}

export interface ShellHost {
  /** Find a command: a builtin name or an executable path resolved against the cwd. */
  lookup(name: string, state: ShellState): CommandImpl | { error: string; status: number };
  /** Open a redirection target for writing/reading (device path already resolved). */
  writeFile(devicePath: string, data: Buffer, append: boolean): void;
  readFile(devicePath: string): Buffer;
  resolve(p: string, cwd: string): string;
}

export class Shell {
  readonly state: ShellState = { cwd: '/', vars: {}, status: 0 };
  constructor(private readonly host: ShellHost) {}

  /** Run a script; output goes to the callbacks as it is produced. Returns the exit status. */
  async run(
    src: string,
    io: { out: (b: Buffer) => void; err: (b: Buffer) => void; signal: AbortSignal },
  ): Promise<number> {
    let list: List;
    try {
      list = new Parser(src).parseList(false);
    } catch (e) {
      io.err(Buffer.from(`/system/bin/sh: ${(e as Error).message}\n`));
      return 2;
    }
    return this.runList(list, Buffer.alloc(0), io);
  }

  private async runList(
    list: List,
    stdin: Buffer,
    io: { out: (b: Buffer) => void; err: (b: Buffer) => void; signal: AbortSignal },
  ): Promise<number> {
    for (const item of list.items) {
      if (io.signal.aborted) return 130;
      if (item.op === '&&' && this.state.status !== 0) continue;
      if (item.op === '||' && this.state.status === 0) continue;
      this.state.status = await this.runPipeline(item.pipeline, stdin, io);
    }
    return this.state.status;
  }

  private async runPipeline(
    p: Pipeline,
    stdin: Buffer,
    io: { out: (b: Buffer) => void; err: (b: Buffer) => void; signal: AbortSignal },
  ): Promise<number> {
    let input = stdin;
    let status = 0;
    for (let i = 0; i < p.length; i++) {
      const last = i === p.length - 1;
      const chunks: Buffer[] = [];
      const out = last ? io.out : (b: Buffer): void => void chunks.push(b);
      status = await this.runCommand(p[i]!, input, { out, err: io.err, signal: io.signal });
      input = Buffer.concat(chunks);
    }
    return status;
  }

  private async expandWord(w: Word, io: { err: (b: Buffer) => void; signal: AbortSignal }): Promise<string[]> {
    const fields: string[] = [''];
    let hasQuoted = false;
    for (const part of w) {
      let text: string;
      if (part.k === 'lit') text = part.s;
      else if (part.k === 'var')
        text =
          part.name === '?'
            ? String(this.state.status)
            : part.name === '$'
              ? '4242'
              : (this.state.vars[part.name] ?? '');
      else {
        const chunks: Buffer[] = [];
        const saved = this.state.status;
        await this.runList(part.list, Buffer.alloc(0), {
          out: (b) => void chunks.push(b),
          err: io.err,
          signal: io.signal,
        });
        this.state.status = saved;
        text = Buffer.concat(chunks).toString('utf8').replace(/\n+$/, '');
      }
      if (part.quoted) hasQuoted = true;
      if (part.quoted || part.k === 'lit') fields[fields.length - 1] += text;
      else {
        const pieces = text.split(/[ \t\n]+/);
        fields[fields.length - 1] += pieces[0] ?? '';
        for (const piece of pieces.slice(1)) fields.push(piece);
      }
    }
    return fields.filter((f, i) => f !== '' || (hasQuoted && i === 0 && fields.length === 1));
  }

  private async runCommand(
    cmd: SimpleCommand,
    stdin: Buffer,
    io: { out: (b: Buffer) => void; err: (b: Buffer) => void; signal: AbortSignal },
  ): Promise<number> {
    const argv: string[] = [];
    for (const w of cmd.words) argv.push(...(await this.expandWord(w, io)));
    const env: Record<string, string> = {};
    while (argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0]!)) {
      const a = argv.shift()!;
      const eq = a.indexOf('=');
      env[a.slice(0, eq)] = a.slice(eq + 1);
    }
    let out = io.out;
    let err = io.err;
    let input = stdin;
    const pending: Array<() => void> = [];
    for (const r of cmd.redirects) {
      const target = (await this.expandWord(r.target, io)).join(' ');
      if (r.op === '>&') {
        const toFd = Number(target);
        const dest = toFd === 1 ? out : toFd === 2 ? err : null;
        if (!dest) return this.fail(io, `${target}: bad file descriptor`, 1);
        if (r.fd === 2) err = dest;
        else out = dest;
        continue;
      }
      const devPath = this.host.resolve(target, this.state.cwd);
      if (r.op === '<') {
        try {
          input = this.host.readFile(devPath);
        } catch {
          return this.fail(io, `can't open '${target}': No such file or directory`, 1);
        }
        continue;
      }
      if (devPath === '/dev/null') {
        if (r.fd === 2) err = () => undefined;
        else out = () => undefined;
        continue;
      }
      const chunks: Buffer[] = [];
      const sink = (b: Buffer): void => void chunks.push(b);
      try {
        this.host.writeFile(devPath, Buffer.alloc(0), r.op === '>>');
      } catch (e) {
        return this.fail(io, `can't create ${target}: ${(e as Error).message}`, 1);
      }
      pending.push(() => this.host.writeFile(devPath, Buffer.concat(chunks), true));
      if (r.fd === 2) err = sink;
      else out = sink;
    }
    if (argv.length === 0) {
      Object.assign(this.state.vars, env);
      pending.forEach((f) => f());
      return 0;
    }
    const impl = this.host.lookup(argv[0]!, this.state);
    let status: number;
    if (typeof impl !== 'function') {
      err(Buffer.from(`/system/bin/sh: ${argv[0]}: ${impl.error}\n`));
      status = impl.status;
    } else {
      const toBuf = (b: Buffer | string): Buffer => (typeof b === 'string' ? Buffer.from(b) : b);
      status = await Promise.resolve()
        .then(() =>
          impl({
            argv,
            env: { ...this.state.vars, ...env },
            shell: this.state,
            stdin: input,
            out: (b) => out(toBuf(b)),
            err: (b) => err(toBuf(b)),
            signal: io.signal,
          }),
        )
        .catch((e: unknown) => {
          // A bug in a simulated command behaves like a crashing program, not like a dead shell.
          err(Buffer.from(`${argv[0]}: internal error: ${(e as Error).stack ?? String(e)}\n`));
          return 70;
        });
    }
    pending.forEach((f) => f());
    return status;
  }

  private fail(io: { err: (b: Buffer) => void }, msg: string, status: number): number {
    io.err(Buffer.from(`/system/bin/sh: ${msg}\n`));
    return status;
  }
}
