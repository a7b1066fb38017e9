/**
 * IPC between the window and the API service (in-process or the utility-process proxy). Every call is validated
 * (method name and zod request schema) here, before it is forwarded to the service; results go back as
 * `ApiResult`; events are pushed on `pqv:event`.
 */
import { BrowserWindow, dialog, ipcMain, shell, type IpcMainInvokeEvent } from 'electron';
import { resolve, sep } from 'node:path';
import { parseApiRequest, requireApiMethod } from '../../common/api-schemas.js';
import { PqvError, serializeError } from '../../common/errors.js';
import type { ApiResult } from '../../common/api.js';
import type { ApiDispatcher } from '../services/service-client.js';
import { dataDir } from '../services/paths.js';

export const IPC = {
  invoke: 'pqv:invoke',
  event: 'pqv:event',
  pickModel: 'pqv:pick-model',
  showItem: 'pqv:show-item',
} as const;

/** Only our own window (loaded from the app's files) may call the API. */
function trusted(e: IpcMainInvokeEvent, win: () => BrowserWindow | null): boolean {
  const w = win();
  return !!w && e.sender === w.webContents && (e.senderFrame?.url ?? '').startsWith('file://');
}

export function registerIpc(service: ApiDispatcher, win: () => BrowserWindow | null): () => void {
  ipcMain.handle(IPC.invoke, async (e, method: unknown, request: unknown): Promise<ApiResult<unknown>> => {
    try {
      if (!trusted(e, win)) throw new PqvError('UNAUTHORIZED', 'Calls are only accepted from the PQV Studio window.');
      if (typeof method !== 'string') throw new PqvError('INVALID_ARGUMENT', 'The method name must be a string.');
      const m = requireApiMethod(method);
      const req = parseApiRequest(m, request);
      return { ok: true, data: await service.dispatch(m, req) };
    } catch (err) {
      return { ok: false, error: serializeError(err) };
    }
  });
  ipcMain.handle(IPC.pickModel, async (e) => {
    const w = win();
    if (!trusted(e, win) || !w) return null;
    const r = await dialog.showOpenDialog(w, {
      title: 'Open an ONNX model',
      properties: ['openFile'],
      filters: [{ name: 'ONNX models', extensions: ['onnx'] }],
    });
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
  ipcMain.handle(IPC.showItem, async (e, path: unknown) => {
    if (!trusted(e, win) || typeof path !== 'string') return;
    const abs = resolve(path);
    // Only files PQV Studio wrote (reports, exports) can be revealed.
    if (abs.startsWith(dataDir() + sep)) shell.showItemInFolder(abs);
  });
  const off = service.onEvent((event) => {
    const w = win();
    if (w && !w.isDestroyed()) w.webContents.send(IPC.event, event);
  });
  return () => {
    off();
    for (const ch of [IPC.invoke, IPC.pickModel, IPC.showItem]) ipcMain.removeHandler(ch);
  };
}
