/**
 * `npm start`: open the desktop app (Electron) when it can run here; otherwise say why and start browser mode,
 * printing the URL to open. Electron cannot run when its binary is not installed or (on Linux) there is no display.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { appRoot } from './services/paths.js';

/** How long `npm start` waits for the Electron binary download before falling back to browser mode. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

/**
 * Path of the installed Electron binary, found the way the `electron` package does it but without its implicit
 * download. Throws when the binary is not there.
 */
export function electronBinary(env: NodeJS.ProcessEnv = process.env): string {
  const pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = join(pkgDir, 'path.txt');
  const exe = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const full = env.ELECTRON_OVERRIDE_DIST_PATH
    ? join(env.ELECTRON_OVERRIDE_DIST_PATH, exe || 'electron')
    : exe
      ? join(pkgDir, 'dist', exe)
      : '';
  if (!full || !existsSync(full)) throw new Error('the Electron binary is not installed');
  return full;
}

/** Try once to download the Electron binary (the package's own installer), bounded in time. */
function tryDownloadElectron(): void {
  try {
    const installer = join(dirname(createRequire(import.meta.url).resolve('electron/package.json')), 'install.js');
    process.stdout.write('Getting the Electron binary…\n');
    spawnSync(process.execPath, [installer], { stdio: 'ignore', timeout: DOWNLOAD_TIMEOUT_MS });
  } catch {
    /* the caller reports the binary as missing */
  }
}

/** Why the desktop window cannot be used here, or null when it can. */
export function electronUnavailableReason(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  resolveBinary: () => string = () => electronBinary(env),
): string | null {
  if (env.PQV_BROWSER === '1') return 'browser mode was requested (PQV_BROWSER=1)';
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY)
    return 'there is no display (DISPLAY/WAYLAND_DISPLAY are not set)';
  let binary: string;
  try {
    binary = resolveBinary();
  } catch {
    if (env.PQV_ELECTRON_DOWNLOAD !== '0') tryDownloadElectron();
    try {
      binary = resolveBinary();
    } catch (e) {
      return `the Electron binary is not installed and could not be downloaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
    }
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return 'the Electron binary is not installed';
  return null;
}

async function ensureDesktopBuilt(root: string): Promise<void> {
  if (existsSync(join(root, 'out', 'main', 'index.js')) && existsSync(join(root, 'out', 'preload', 'index.cjs')))
    return;
  process.stdout.write('Building the desktop app (first start)…\n');
  const { build } = await import('electron-vite');
  await build({ root, configFile: join(root, 'electron.vite.config.ts'), logLevel: 'warn' });
}

async function startBrowser(argv: string[]): Promise<void> {
  const { startBrowserMode } = await import('./server/main.js');
  await startBrowserMode(argv);
}

export async function launch(argv: string[] = process.argv.slice(2)): Promise<void> {
  const reason = electronUnavailableReason();
  if (reason) {
    process.stdout.write(`The desktop window cannot open: ${reason}. Starting browser mode instead.\n`);
    await startBrowser(argv);
    return;
  }
  const root = appRoot();
  await ensureDesktopBuilt(root);
  const binary = electronBinary();
  const child = spawn(binary, [root, ...argv], { stdio: 'inherit', cwd: root });
  child.once('error', (e) => {
    process.stdout.write(`Electron failed to start (${e.message}). Starting browser mode instead.\n`);
    void startBrowser(argv);
  });
  child.once('exit', (code) => {
    process.exitCode = code ?? 0;
  });
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntry) {
  launch().catch((e: unknown) => {
    process.stderr.write(`PQV Studio could not start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
