/**
 * Picks the API client for the shell the renderer runs in: the preload bridge inside Electron, else HTTP/WS.
 */
import type { ApiClient } from '../../common/api';
import { BridgeApiClient } from './bridge-client';
import { HttpApiClient, tokenFromLocation } from './http-client';

export function createApiClient(): ApiClient | null {
  if (window.pqv) return new BridgeApiClient(window.pqv);
  const token = tokenFromLocation();
  return token ? new HttpApiClient(token) : null;
}
