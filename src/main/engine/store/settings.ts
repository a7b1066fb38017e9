/**
 * User settings: a small JSON file (`settings.json`) in the data folder, validated with zod and written
 * atomically (temporary file + rename). It holds what the user chose in Settings or with `pqv settings`:
 * the runners folder and the adb server address. Readers apply the precedence
 * explicit option > environment variable > settings file > default (see devices/runners.ts, adb-server.ts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PqvError } from '../../../common/errors.js';
import type { SettingsUpdate, UserSettings } from '../../../common/types/settings.js';
import { settingsUpdateSchema, userSettingsSchema } from '../../../common/types/settings-schema.js';
import { pqvHome } from './paths.js';

export type { SettingsUpdate, UserSettings };

/** The settings file of a data folder. */
export function settingsPath(home = pqvHome()): string {
  return join(home, 'settings.json');
}

/** Read the settings ({} when there is no file). Throws SETTINGS_INVALID for a broken file. */
export function readSettings(home = pqvHome()): UserSettings {
  const file = settingsPath(home);
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PqvError(
      'SETTINGS_INVALID',
      `The settings file ${file} is not valid JSON (${(e as Error).message}). Fix or delete it, or save the settings again.`,
      { file },
    );
  }
  const parsed = userSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new PqvError(
      'SETTINGS_INVALID',
      `The settings file ${file} has invalid values (${issues.join('; ')}). Fix or delete it, or save the settings again.`,
      { file, issues },
    );
  }
  return parsed.data;
}

/** Replace the settings file with `settings` (atomic: a reader sees the old or the new file, never half of one). */
export function writeSettings(settings: UserSettings, home = pqvHome()): void {
  const data = userSettingsSchema.parse(settings);
  mkdirSync(home, { recursive: true });
  const file = settingsPath(home);
  const tmp = `${file}.${process.pid}.${Date.now().toString(36)}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new PqvError('STORE_FAILED', `Could not save the settings to ${file}: ${(e as Error).message}.`, { file });
  }
}

/** `dir` made absolute; RUNNER_MISSING when it is not an existing folder. */
function existingFolder(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new PqvError(
      'RUNNER_MISSING',
      `No runners folder at ${abs}. Choose an existing folder with one sub-folder per ABI (e.g. arm64-v8a/onnxruntime_perf_test); see docs/runners.md.`,
      { dir: abs },
    );
  }
  return abs;
}

/**
 * Apply a change and save. The runners folder must exist and is stored as an absolute path. A broken
 * settings file is replaced (saving is how the user repairs it). Returns the saved settings.
 */
export function updateSettings(update: SettingsUpdate, home = pqvHome()): UserSettings {
  const change = settingsUpdateSchema.safeParse(update);
  if (!change.success) {
    const issues = change.error.issues.map((i) => `${i.path.join('.') || '(settings)'}: ${i.message}`);
    throw new PqvError('INVALID_ARGUMENT', `Invalid settings: ${issues.join('; ')}. Fix them and retry.`, { issues });
  }
  let current: UserSettings;
  try {
    current = readSettings(home);
  } catch {
    current = {};
  }
  const next: UserSettings = { ...current };
  const { runnersDir, adbHost, adbPort } = change.data;
  if (runnersDir === null) delete next.runnersDir;
  else if (runnersDir !== undefined) next.runnersDir = existingFolder(runnersDir);
  if (adbHost === null) delete next.adbHost;
  else if (adbHost !== undefined) next.adbHost = adbHost;
  if (adbPort === null) delete next.adbPort;
  else if (adbPort !== undefined) next.adbPort = adbPort;
  writeSettings(next, home);
  return next;
}
