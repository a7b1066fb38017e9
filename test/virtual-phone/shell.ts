/**
 * A small POSIX-shell interpreter for the virtual phone: words with single/double quotes and
 * backslashes, `$?`/`$VAR`/`${VAR}`, command substitution (`$(…)` and backticks), `;` `&&` `||` `|`,
 * newlines, `VAR=value cmd` prefixes, `#` comments and the redirections `>`, `>>`, `<`, `N>&M`.
 * Enough to run — and to attack — the commands the device code sends.
 */

type Part =
  | { k: 'lit'; s: string; quoted: boolean }
  | { k: 'var'; name: string; quoted: boolean }
  | { k: 'sub'; list: List; quoted: boolean };
type Word = Part[];
interface Redirect {
  fd: number;
  op: '>' | '>>' | '<' | '>&';
  target: Word;
}
interface SimpleCommand {
  words: Word[];
  redirects: Redirect[];
}
type Pipeline = SimpleCommand[];
interface List {
  items: Array<{ op: ';' | '&&' | '||'; pipeline: Pipeline }>;
}

export class ShellSyntaxError extends Error {}

class Parser {
  pos = 0;
  constructor(private readonly src: string) {}

  private peek(o = 0): string {
    return this.src[this.pos + o] ?? '';
  }

  parseList(inSub: boolean): List {
    const items: List['items'] = [];
    let op: ';' | '&&' | '||' = ';';
    for (;;) {
      this.skipBlanks(true);
      const c = this.peek();
      if (c === '') break;
      if (inSub && c === ')') break;
      const pipeline = this.parsePipeline(inSub);
      if (pipeline.length) items.push({ op, pipeline });
      this.skipBlanks(false);
      const n = this.peek();
      if (n === ';' || n === '\n') {
        this.pos++;
        op = ';';
      } else if (n === '&' && this.peek(1) === '&') {
        this.pos += 2;
        op = '&&';
      } else if (n === '|' && this.peek(1) === '|') {
        this.pos += 2;
        op = '||';
      } else if (n === '' || (inSub && n === ')')) {
        break;
      } else {
        throw new ShellSyntaxError(`syntax error: unexpected '${n}'`);
      }
    }
    return { items };
  }

  private skipBlanks(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || (newlines && c === '\n')) this.pos++;
      else if (c === '#') while (this.peek() !== '' && this.peek() !== '\n') this.pos++;
      else break;
    }
  }

  private parsePipeline(inSub: boolean): Pipeline {
    const cmds: Pipeline = [this.parseCommand(inSub)];
    for (;;) {
      this.skipBlanks(false);
      if (this.peek() === '|' && this.peek(1) !== '|') {
        this.pos++;
        cmds.push(this.parseCommand(inSub));
      } else break;
    }
    return cmds;
  }

  private parseCommand(inSub: boolean): SimpleCommand {
    const cmd: SimpleCommand = { words: [], redirects: [] };
    for (;;) {
      this.skipBlanks(false);
      const c = this.peek();
      if (c === '' || c === '\n' || c === ';' || c === '&' || c === '|' || (inSub && c === ')')) break;
      if (c === '>' || c === '<') {
        cmd.redirects.push(this.parseRedirect(c === '>' ? 1 : 0));
        continue;
      }
      const word = this.parseWord(inSub);
      const only = word.length === 1 ? word[0] : undefined;
      if (only && only.k === 'lit' && !only.quoted && /^\d$/.test(only.s) && (this.peek() === '>' || this.peek() === '<')) {
        cmd.redirects.push(this.parseRedirect(Number(only.s)));
        continue;
      }
      cmd.words.push(word);
    }
    return cmd;
  }

  private parseRedirect(fd: number): Redirect {
    let op: Redirect['op'];
    if (this.peek() === '<') {
      this.pos++;
      op = '<';
    } else if (this.peek(1) === '>') {
      this.pos += 2;
      op = '>>';
    } else if (this.peek(1) === '&') {
      this.pos += 2;
      op = '>&';
    } else {
      this.pos++;
      op = '>';
    }
    this.skipBlanks(false);
    const target = this.parseWord(false);
    if (!target.length) throw new ShellSyntaxError('syntax error: missing redirection target');
    return { fd, op, target };
  }

  private parseWord(inSub: boolean): Word {
    const parts: Word = [];
    const lit = (s: string, quoted: boolean): void => {
      const last = parts[parts.length - 1];
      if (last && last.k === 'lit' && last.quoted === quoted) last.s += s;
      else parts.push({ k: 'lit', s, quoted });
    };
    for (;;) {
      const c = this.peek();
      if (c === '' || c === ' ' || c === '\t' || c === '\n' || c === ';' || c === '&' || c === '|' || c === '<' || c === '>') break;
      if (inSub && c === ')') break;
      if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError("syntax error: unterminated quoted string");
        lit(this.src.slice(this.pos + 1, end), true);
        this.pos = end + 1;
      } else if (c === '"') {
        this.pos++;
        this.parseDoubleQuoted(parts, lit);
      } else if (c === '\\') {
        const n = this.peek(1);
        this.pos += 2;
        if (n !== '\n') lit(n, true);
      } else if (c === '$' || c === '`') {
        this.parseDollar(parts, lit, false);
      } else {
        lit(c, false);
        this.pos++;
      }
    }
    return parts;
  }

  private parseDoubleQuoted(parts: Word, lit: (s: string, q: boolean) => void): void {
    for (;;) {
      const c = this.peek();
      if (c === '') throw new ShellSyntaxError('syntax error: unterminated quoted string');
      if (c === '"') {
        this.pos++;
        // An empty "" still makes a (quoted, empty) word.
        lit('', true);
        return;
      }
      if (c === '\\') {
        const n = this.peek(1);
        if (n === '$' || n === '`' || n === '"' || n === '\\') lit(n, true);
        else if (n !== '\n') lit(`\\${n}`, true);
        this.pos += 2;
      } else if (c === '$' || c === '`') {
        this.parseDollar(parts, lit, true);
      } else {
        lit(c, true);
        this.pos++;
      }
    }
  }

  private parseDollar(parts: Word, lit: (s: string, q: boolean) => void, quoted: boolean): void {
    if (this.peek() === '`') {
      const end = this.src.indexOf('`', this.pos + 1);
      if (end < 0) throw new ShellSyntaxError('syntax error: unterminated `');
      const inner = new Parser(this.src.slice(this.pos + 1, end)).parseList(false);
      parts.push({ k: 'sub', list: inner, quoted });
      this.pos = end + 1;
      return;
    }
    const n = this.peek(1);
    if (n === '(') {
      this.pos += 2;
      const list = this.parseList(true);
      if (this.peek() !== ')') throw new ShellSyntaxError("syntax error: missing ')'");
      this.pos++;
      parts.push({ k: 'sub', list, quoted });
    } else if (n === '?' || n === '$' || n === '#') {
      this.pos += 2;
      parts.push({ k: 'var', name: n, quoted });
    } else if (n === '{') {
      const end = this.src.indexOf('}', this.pos);
      if (end < 0) throw new ShellSyntaxError('syntax error: bad substitution');
      parts.push({ k: 'var', name: this.src.slice(this.pos + 2, end), quoted });
      this.pos = end + 1;
    } else if (/[A-Za-z_]/.test(n)) {
      let end = this.pos + 1;
      while (/[A-Za-z0-9_]/.test(this.src[end] ?? '')) end++;
      parts.push({ k: 'var', name: this.src.slice(this.pos + 1, end), quoted });
      this.pos = end;
    } else {
      lit('$', quoted);
      this.pos++;
    }
  }
}

/** Parse a command line into words only (for tests of quoting): every word of every command, in order. */
export function shellWords(src: string): string[][] {
  const list = new Parser(src).parseList(false);
  return list.items.flatMap((i) =>
    i.pipeline.map((c) => c.words.map((w) => w.map((p) => (p.k === 'lit' ? p.s : `\u0000${p.k}`)).join(''))),
  );
}

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
  async run(src: string, io: { out: (b: Buffer) => void; err: (b: Buffer) => void; signal: AbortSignal }): Promise<number> {
    let list: List;
    try {
      list = new Parser(src).parseList(false);
    } catch (e) {
      io.err(Buffer.from(`/system/bin/sh: ${(e as Error).message}\n`));
      return 2;
    }
    return this.runList(list, Buffer.alloc(0), io);
  }

  private async runList(list: List, stdin: Buffer, io: { out: (b: Buffer) => void; err: (b: Buffer) => void; signal: AbortSignal }): Promise<number> {
    for (const item of list.items) {
      if (io.signal.aborted) return 130;
      if (item.op === '&&' && this.state.status !== 0) continue;
      if (item.op === '||' && this.state.status === 0) continue;
      this.state.status = await this.runPipeline(item.pipeline, stdin, io);
    }
    return this.state.status;
  }

  private async runPipeline(p: Pipeline, stdin: Buffer, io: { out: (b: Buffer) => void; err: (b: Buffer) => void; signal: AbortSignal }): Promise<number> {
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
      else if (part.k === 'var') text = part.name === '?' ? String(this.state.status) : part.name === '$' ? '4242' : (this.state.vars[part.name] ?? '');
      else {
        const chunks: Buffer[] = [];
        const saved = this.state.status;
        await this.runList(part.list, Buffer.alloc(0), { out: (b) => void chunks.push(b), err: io.err, signal: io.signal });
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

  private async runCommand(cmd: SimpleCommand, stdin: Buffer, io: { out: (b: Buffer) => void; err: (b: Buffer) => void; signal: AbortSignal }): Promise<number> {
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
        .then(() => impl({
        argv,
        env: { ...this.state.vars, ...env },
        shell: this.state,
        stdin: input,
        out: (b) => out(toBuf(b)),
        err: (b) => err(toBuf(b)),
        signal: io.signal,
      }))
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
