/** Ambient types of the renderer: Vue single-file components and the Electron preload bridge. */
import type { PreloadBridge } from '../common/api';

declare global {
  interface Window {
    /** Present only inside the Electron window (exposed by the preload script). */
    pqv?: PreloadBridge;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
