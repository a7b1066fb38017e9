/**
 * Browser-mode client: `POST /api/<method>` with the launch token, and the event stream over WebSocket
 * (`/api/events`), reconnecting after drops. The token comes from the page URL (`?token=`).
 */
import { deserializeError } from '../../common/errors';
import type {
  ApiClient,
  ApiEvent,
  ApiEventListener,
  ApiMethod,
  ApiRequest,
  ApiResponse,
  ApiResult,
  ReportFile,
} from '../../common/api';

export class HttpApiClient implements ApiClient {
  readonly mode = 'browser' as const;
  private readonly listeners = new Set<ApiEventListener>();
  private ws: WebSocket | null = null;
  private retryMs = 500;

  constructor(
    private readonly token: string,
    private readonly origin: string = window.location.origin,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { Authorization: `Bearer ${this.token}`, ...extra };
  }

  private async parse<T>(res: Response): Promise<T> {
    let body: ApiResult<T>;
    try {
      body = (await res.json()) as ApiResult<T>;
    } catch {
      throw deserializeError({ code: 'INTERNAL', message: `The server answered ${res.status} without a result.` });
    }
    if (!body.ok) throw deserializeError(body.error);
    return body.data;
  }

  async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
    const res = await fetch(`${this.origin}/api/${method}`, {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(request ?? {}),
    });
    return this.parse<ApiResponse<M>>(res);
  }

  async uploadModel(file: File): Promise<string> {
    const res = await fetch(`${this.origin}/api/upload?name=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/octet-stream' }),
      body: file,
    });
    return (await this.parse<{ path: string }>(res)).path;
  }

  async openFile(file: ReportFile): Promise<void> {
    const a = document.createElement('a');
    a.href = `${this.origin}/api/files/${encodeURIComponent(file.fileName)}?token=${encodeURIComponent(this.token)}`;
    a.download = file.fileName;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  onEvent(listener: ApiEventListener): () => void {
    this.listeners.add(listener);
    this.connect();
    return () => this.listeners.delete(listener);
  }

  private connect(): void {
    if (this.ws) return;
    const url = `${this.origin.replace(/^http/, 'ws')}/api/events?token=${encodeURIComponent(this.token)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => (this.retryMs = 500);
    ws.onmessage = (m) => {
      const event = JSON.parse(String(m.data)) as ApiEvent;
      for (const l of this.listeners) l(event);
    };
    ws.onclose = () => {
      this.ws = null;
      if (this.listeners.size === 0) return;
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }
}

/** The launch token from `?token=` (kept for this tab in sessionStorage so reloads keep working). */
export function tokenFromLocation(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem('pqv-token', fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem('pqv-token');
}
