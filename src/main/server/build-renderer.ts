/**
 * Builds the renderer with Vite when `out/renderer/index.html` is missing (browser mode from a fresh checkout).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot, rendererDir } from '../services/paths.js';

/** Build the renderer unless it is already built. Returns the renderer folder. */
export async function ensureRendererBuilt(log: (line: string) => void = () => undefined): Promise<string> {
  const out = rendererDir();
  if (existsSync(join(out, 'index.html'))) return out;
  log('Building the user interface (first start)…');
  const { build } = await import('vite');
  const { rendererViteConfig } = await import('./renderer-config.js');
  await build({ ...rendererViteConfig(appRoot()), logLevel: 'warn', configFile: false });
  return out;
}
