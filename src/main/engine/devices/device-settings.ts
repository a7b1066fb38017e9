/**
 * The device-related settings in effect and where each value comes from (environment variable, settings
 * file or default), for the Settings page and `pqv settings`. The values are the ones the adb server
 * resolution and the runner registry use.
 */
import type { EffectiveValue, SettingsInfo } from '../../../common/types/settings.js';
import { pqvHome } from '../store/paths.js';
import { readSettings, settingsPath } from '../store/settings.js';
import { resolveAdbServer } from './adb-server.js';
import { runnersRoot } from './runners.js';

/** The settings file, its values, and the values in effect. Throws SETTINGS_INVALID for a broken file. */
export function settingsInfo(env: NodeJS.ProcessEnv = process.env): SettingsInfo {
  const home = pqvHome(env);
  const settings = readSettings(home);
  const adb = resolveAdbServer({}, env, settings);
  const adbHost: EffectiveValue<string> = env.ADB_SERVER_SOCKET
    ? { value: adb.host, source: 'env', envVar: 'ADB_SERVER_SOCKET' }
    : { value: adb.host, source: settings.adbHost ? 'settings' : 'default' };
  const adbPort: EffectiveValue<number> = env.PQV_ADB_PORT
    ? { value: adb.port, source: 'env', envVar: 'PQV_ADB_PORT' }
    : env.ADB_SERVER_SOCKET
      ? { value: adb.port, source: 'env', envVar: 'ADB_SERVER_SOCKET' }
      : { value: adb.port, source: settings.adbPort ? 'settings' : 'default' };
  return {
    file: settingsPath(home),
    settings,
    effective: { runnersDir: runnersRoot(env, settings), adbHost, adbPort },
  };
}
