/**
 * Vite configuration of the renderer (Vue 3), shared by browser mode's on-demand build and electron-vite.
 */
import { join } from 'node:path';
import type { InlineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

/** Renderer build: root `src/renderer`, output `out/renderer`, relative asset URLs (works from file:// and http). */
export function rendererViteConfig(root: string): InlineConfig {
  return {
    root: join(root, 'src', 'renderer'),
    base: './',
    plugins: [vue()],
    build: {
      outDir: join(root, 'out', 'renderer'),
      emptyOutDir: true,
      chunkSizeWarningLimit: 1200,
      rollupOptions: { input: join(root, 'src', 'renderer', 'index.html') },
    },
  };
}
