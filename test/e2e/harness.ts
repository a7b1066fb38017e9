/**
 * End-to-end harness: starts browser mode (`src/main/server/main.ts`) on a random port with a temporary PQV_HOME,
 * and launches the system Chromium through playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../src/main/engine/report/pdf.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface App {
  url: string;
  origin: string;
  port: number;
  token: string;
  home: string;
  output: () => string;
  stop: () => Promise<void>;
}

/** Start browser mode and resolve once it prints its URL. */
export async function startApp(extraEnv: Record<string, string> = {}): Promise<App> {
  const home = mkdtempSync(join(tmpdir(), 'pqv-e2e-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/main/server/main.ts'), '--port', '0'],
    {
      cwd: ROOT,
      env: { ...process.env, PQV_HOME: home, PQV_PORT: '', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`browser mode did not start:\n${out}`)), 180_000);
    const check = (): void => {
      const m = /PQV Studio is running at (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`browser mode exited with ${code}:\n${out}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    port: Number(parsed.port),
    token: parsed.searchParams.get('token') ?? '',
    home,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}
