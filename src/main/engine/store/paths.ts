/**
 * Where PQV Studio keeps its user data. One place owns every path: the home folder, the results database,
 * uploaded models, the cache of compressed variants, and the on-device runner binaries.
 *
 * Home: `PQV_HOME` when set; else Linux `$XDG_CONFIG_HOME/pqv-studio` (default `~/.config/pqv-studio`),
 * macOS `~/Library/Application Support/pqv-studio`, Windows `%APPDATA%\pqv-studio`.
 * Functions only compute paths; `ensureDir` creates a folder when a caller is about to write to it.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The user-data folder (not created). */
export function pqvHome(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.PQV_HOME) return resolve(env.PQV_HOME);
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'pqv-studio');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'pqv-studio');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'pqv-studio');
}

/** The results database file. */
export function dbPath(home = pqvHome()): string {
  return join(home, 'pqv.db');
}

/** Models uploaded through the UI/server. */
export function uploadsDir(home = pqvHome()): string {
  return join(home, 'uploads');
}

/** Cache of compressed variants, by content hash. */
export function variantsDir(home = pqvHome()): string {
  return join(home, 'variants');
}

/** On-device benchmark runner binaries, per ABI. */
export function runnersDir(home = pqvHome()): string {
  return join(home, 'runners');
}

/** Generated reports. */
export function reportsDir(home = pqvHome()): string {
  return join(home, 'reports');
}

/** Create a folder (and parents) if missing; returns it. */
export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
