/**
 * Electron main process: one window (context isolation, sandbox, no Node integration, strict CSP) showing the
 * renderer, wired over validated IPC to the API service, which runs in a utility process so long engine work never
 * blocks the window. PDF reports use `webContents.printToPDF` here, on the host's request.
 */
import { app, BrowserWindow, session, shell } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceClient } from '../services/service-client.js';
import { ELECTRON_CSP } from './csp.js';
import { registerIpc } from './ipc.js';
import { printHtmlToPdf } from './print-pdf.js';
import { createServiceProxy } from './service-proxy.js';

const here = fileURLToPath(new URL('.', import.meta.url));
let win: BrowserWindow | null = null;
let service: ServiceClient | null = null;

function createWindow(): BrowserWindow {
  const w = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 960,
    minHeight: 640,
    title: 'PQV Studio',
    backgroundColor: '#f5f6fa',
    show: false,
    webPreferences: {
      preload: join(here, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  w.once('ready-to-show', () => w.show());
  // Links open in the system browser; the window itself never navigates away from the app.
  w.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  w.webContents.on('will-navigate', (e) => e.preventDefault());
  void w.loadFile(join(here, '..', 'renderer', 'index.html'));
  return w;
}

async function main(): Promise<void> {
  await app.whenReady();
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  service = createServiceProxy({ exportPdf: printHtmlToPdf });
  registerIpc(service, () => win);
  win = createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) win = createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Stop the engine process (it aborts running jobs) only when the app quits: on macOS a new window reuses it.
app.on('will-quit', () => {
  service?.close();
  service = null;
});

main().catch((e: unknown) => {
  process.stderr.write(`PQV Studio could not start: ${e instanceof Error ? e.stack : String(e)}\n`);
  app.exit(1);
});
