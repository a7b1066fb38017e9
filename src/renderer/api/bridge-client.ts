/**
 * Electron client: calls go through the preload bridge (`window.pqv`), which forwards them over IPC.
 */
import { deserializeError } from '../../common/errors';
import type {
  ApiClient,
  ApiEventListener,
  ApiMethod,
  ApiRequest,
  ApiResponse,
  PreloadBridge,
  ReportFile,
} from '../../common/api';

export class BridgeApiClient implements ApiClient {
  readonly mode = 'electron' as const;
  constructor(private readonly bridge: PreloadBridge) {}

  async call<M extends ApiMethod>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>> {
    const result = await this.bridge.invoke(method, request ?? {});
    if (!result.ok) throw deserializeError(result.error);
    return result.data as ApiResponse<M>;
  }

  onEvent(listener: ApiEventListener): () => void {
    return this.bridge.onEvent(listener);
  }

  pickModelFile(): Promise<string | null> {
    return this.bridge.pickModelFile();
  }

  openFile(file: ReportFile): Promise<void> {
    return this.bridge.showItemInFolder(file.path);
  }
}
