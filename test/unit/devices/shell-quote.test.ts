import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shellJoin, shellQuote } from '../../../src/main/engine/devices/shell-quote.js';
import { Shell, shellWords } from '../../virtual-phone/shell.js';
import { makeShellHost } from '../../virtual-phone/commands.js';
import { VirtualFs } from '../../virtual-phone/vfs.js';
import { defaultProfile, systemFiles } from '../../virtual-phone/profile.js';
import { noFaults } from '../../virtual-phone/faults.js';

const NASTY = [
  'plain',
  'with space',
  "it's",
  "''",
  '"double"',
  '$(touch pwned)',
  '`touch pwned`',
  'a; touch pwned',
  'a && b || c',
  'new\nline',
  'back\\slash',
  '$HOME ${HOME} $?',
  '*?[]{}~#!',
  '',
  ' leading and trailing ',
  '-e',
  'tab\there',
  'ünïcödé ✓',
];

describe('shellQuote', () => {
  it('round-trips through the real /bin/sh for every nasty string', () => {
    for (const s of NASTY) {
      const out = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(s)}`]).toString('utf8');
      expect(out).toBe(s);
    }
  });

  it('round-trips through the virtual phone shell parser as one word', () => {
    for (const s of NASTY) expect(shellWords(`echo ${shellQuote(s)}`)).toEqual([['echo', s]]);
    expect(shellWords(shellJoin(NASTY))).toEqual([NASTY]);
  });

  it('leaves safe words bare and quotes everything else', () => {
    expect(shellQuote('/data/local/tmp/pqv/x.onnx')).toBe('/data/local/tmp/pqv/x.onnx');
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
  });

  it('rejects NUL bytes with a coded error', () => {
    expect(() => shellQuote('a\0b')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('prevents injection in the virtual shell, which does run unquoted $(), `` and ;', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pqv-quote-'));
    const shell = new Shell(
      makeShellHost({
        vfs: new VirtualFs(dir, systemFiles(defaultProfile())),
        profile: defaultProfile(),
        faults: noFaults(),
      }),
    );
    const io = { out: () => undefined, err: () => undefined, signal: new AbortController().signal };
    // Control: unquoted, the interpreter really executes the payloads.
    await shell.run('cd /data/local/tmp; touch a; touch b1; echo $(touch c1) `touch d1`', io);
    expect(fs.readdirSync(dir).sort()).toEqual(['a', 'b1', 'c1', 'd1']);
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    const names = ['x; touch pwned1', '$(touch pwned2)', '`touch pwned3`', "q'; touch pwned4; '", 'n\ntouch pwned5'];
    for (const n of names) await shell.run(`cd /data/local/tmp && touch ${shellQuote(n)}`, io);
    expect(fs.readdirSync(dir).sort()).toEqual([...names].sort());
    fs.rmSync(dir, { recursive: true });
  });
});
