/**
 * End-to-end harness: builds the renderer when its sources are newer than `out/renderer`, starts browser mode
 * (`src/main/server/main.ts`) on a random port with a temporary PQV_HOME (or a given one, to restart over the same
 * data), and launches the system Chromium through playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
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
  /** Process id of the server. */
  pid: number;
  output: () => string;
  /** Call the API like the page does (`POST /api/<method>` with the token). */
  api: <T = unknown>(method: string, request?: unknown) => Promise<T>;
  /** Stop the server (SIGTERM) and delete its data folder unless `keepHome`. */
  stop: (opts?: { keepHome?: boolean }) => Promise<void>;
  /** SIGKILL the server (a crash: nothing is cleaned up); the data folder stays. */
  kill: () => Promise<void>;
}

/** Newest modification time under `dir` (0 when absent). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Build the renderer when any of its sources is newer than the build, so the tests see the current UI. */
export async function ensureFreshRenderer(): Promise<void> {
  const index = join(ROOT, 'out', 'renderer', 'index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = ['src/renderer', 'src/common', 'src/main/engine/report'].map((d) => newest(join(ROOT, d)));
  if (built > Math.max(...sources)) return;
  const { build } = await import('vite');
  const { rendererViteConfig } = await import('../../src/main/server/renderer-config.js');
  await build({ ...rendererViteConfig(ROOT), logLevel: 'warn', configFile: false });
}

export interface StartOptions {
  /** Data folder to use (restart over the same data); default a new temporary folder. */
  home?: string;
}

/** Start browser mode and resolve once it prints its URL. */
export async function startApp(extraEnv: Record<string, string> = {}, opts: StartOptions = {}): Promise<App> {
  await ensureFreshRenderer();
  const home = opts.home ?? mkdtempSync(join(tmpdir(), 'pqv-e2e-'));
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
  const token = parsed.searchParams.get('token') ?? '';
  const exit = (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    return exited;
  };
  return {
    url,
    origin: parsed.origin,
    port: Number(parsed.port),
    token,
    home,
    pid: child.pid ?? 0,
    output: () => out,
    api: async <T>(method: string, request: unknown = {}): Promise<T> => {
      const res = await fetch(`${parsed.origin}/api/${method}`, {
        method: 'POST',
        body: JSON.stringify(request),
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      });
      const body = (await res.json()) as { ok: boolean; data?: T; error?: unknown };
      if (!res.ok || !body.ok) throw new Error(`${method} failed with ${res.status}: ${JSON.stringify(body.error)}`);
      return body.data as T;
    },
    stop: async ({ keepHome = false } = {}) => {
      await exit('SIGTERM');
      if (!keepHome) rmSync(home, { recursive: true, force: true });
    },
    kill: () => exit('SIGKILL'),
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}
