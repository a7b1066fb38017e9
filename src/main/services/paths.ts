/**
 * Where PQV Studio keeps its files: the data folder (`PQV_HOME`, else the platform default) and the app's own resources
 * (the bundled demo model and images), found from the installed app folder.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pqvHome } from '../engine/store/paths.js';

/** The user-data folder (`PQV_HOME`, else the platform's config folder; see the store's paths). Created on use. */
export function dataDir(): string {
  const dir = pqvHome();
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A sub-folder of the data folder, created on first use. */
export function dataSubdir(name: 'uploads' | 'reports' | 'variants' | 'runs'): string {
  const dir = join(dataDir(), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

let cachedRoot: string | undefined;

/** The app folder (holding `package.json` of pqv-studio and `resources/`). `PQV_APP_ROOT` overrides it. */
export function appRoot(): string {
  if (process.env.PQV_APP_ROOT) return resolve(process.env.PQV_APP_ROOT);
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pqv-studio') break;
      } catch {
        /* not ours: keep walking up */
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      dir = process.cwd();
      break;
    }
    dir = parent;
  }
  cachedRoot = dir;
  return dir;
}

/** App version from package.json. */
export function appVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0'
    );
  } catch {
    return '0.0.0';
  }
}

/** The bundled demo model and its image folders. */
export function demoPaths(): { modelPath: string; dataDir: string; calibDir: string } {
  const base = join(appRoot(), 'resources', 'demo');
  return {
    modelPath: join(base, 'fmnist-deit-op17.onnx'),
    dataDir: join(base, 'data', 'test'),
    calibDir: join(base, 'data', 'calib'),
  };
}

/** The built renderer folder (`out/renderer`). */
export function rendererDir(): string {
  return join(appRoot(), 'out', 'renderer');
}
