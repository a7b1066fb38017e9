/**
 * Preload script: exposes the typed API bridge (`window.pqv`) to the sandboxed renderer through contextBridge.
 * It forwards calls over IPC and never hands Node or Electron objects to the page.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiEvent, ApiResult, PreloadBridge } from '../common/api.js';

const bridge: PreloadBridge = {
  invoke: (method, request) => ipcRenderer.invoke('pqv:invoke', method, request) as Promise<ApiResult<unknown>>,
  onEvent: (listener) => {
    const handler = (_e: IpcRendererEvent, event: ApiEvent): void => listener(event);
    ipcRenderer.on('pqv:event', handler);
    return () => {
      ipcRenderer.removeListener('pqv:event', handler);
    };
  },
  pickModelFile: () => ipcRenderer.invoke('pqv:pick-model') as Promise<string | null>,
  showItemInFolder: (path) => ipcRenderer.invoke('pqv:show-item', path) as Promise<void>,
};

contextBridge.exposeInMainWorld('pqv', bridge);
