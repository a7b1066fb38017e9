/**
 * electron-vite build of the desktop app: main (src/main/electron/index.ts, the engine's utility process and the
 * host-benchmark worker → out/main), preload
 * (src/preload/index.ts → out/preload/index.cjs, CommonJS as sandboxed preloads require) and the Vue renderer
 * (src/renderer → out/renderer, same config as browser mode).
 */
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererViteConfig } from './src/main/server/renderer-config.js';

const root = import.meta.dirname;
const renderer = rendererViteConfig(root);

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rollupOptions: {
        input: {
          index: resolve(root, 'src/main/electron/index.ts'),
          // The engine runs in this utility process (forked by index.js), off the window's main thread.
          'service-host-main': resolve(root, 'src/main/services/service-host-main.ts'),
          // The host benchmark forks this file (next to the module that forks it) as its child process.
          'host-bench-worker': resolve(root, 'src/main/engine/bench/host-bench-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      rollupOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: renderer.root,
    base: renderer.base,
    plugins: renderer.plugins,
    build: renderer.build,
  },
});
