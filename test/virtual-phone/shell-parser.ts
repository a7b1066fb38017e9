/**
 * Parser of the virtual phone's shell: POSIX words with single/double quotes and backslashes,
 * `$?`/`$VAR`/`${VAR}`, command substitution (`$(…)`, backticks), `;` `&&` `||` `|`, newlines,
 * `#` comments and the redirections `>`, `>>`, `<`, `N>&M`.
 */

export type Part =
  | { k: 'lit'; s: string; quoted: boolean }
  | { k: 'var'; name: string; quoted: boolean }
  | { k: 'sub'; list: List; quoted: boolean };
export type Word = Part[];
export interface Redirect {
  fd: number;
  op: '>' | '>>' | '<' | '>&';
  target: Word;
}
export interface SimpleCommand {
  words: Word[];
  redirects: Redirect[];
}
export type Pipeline = SimpleCommand[];
export interface List {
  items: Array<{ op: ';' | '&&' | '||'; pipeline: Pipeline }>;
}

export class ShellSyntaxError extends Error {}

export class Parser {
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
      if (
        only &&
        only.k === 'lit' &&
        !only.quoted &&
        /^\d$/.test(only.s) &&
        (this.peek() === '>' || this.peek() === '<')
      ) {
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
      if (
        c === '' ||
        c === ' ' ||
        c === '\t' ||
        c === '\n' ||
        c === ';' ||
        c === '&' ||
        c === '|' ||
        c === '<' ||
        c === '>'
      )
        break;
      if (inSub && c === ')') break;
      if (c === "'") {
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError('syntax error: unterminated quoted string');
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
