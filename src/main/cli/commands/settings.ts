/**
 * `pqv settings`: show the user settings (runners folder, adb server) with the values in effect and where
 * they come from, plus a check of the runners folder; `--runners DIR`, `--adb HOST:PORT` and `--unset KEY`
 * change them. The same settings file as the app's Settings page.
 */
import type { Command } from 'commander';
import { PqvError, serializeError, type SerializedError } from '../../../common/errors.js';
import type { EffectiveValue, RunnersInspection, SettingsUpdate } from '../../../common/types/settings.js';
import { settingsInfo } from '../../engine/devices/device-settings.js';
import { inspectRunners } from '../../engine/devices/runner-check.js';
import { updateSettings } from '../../engine/store/settings.js';
import { printJson, runCommand, type CliContext } from '../output.js';

interface SettingsFlags {
  json?: boolean;
  runners?: string;
  adb?: string;
  unset?: string[];
}

const UNSET_KEYS = ['runners', 'adb'] as const;

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `HOST:PORT`, `[IPv6]:PORT` or `PORT` → the settings fields it sets. */
export function parseAdbAddress(text: string): Pick<SettingsUpdate, 'adbHost' | 'adbPort'> {
  const m = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d+)$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new PqvError('INVALID_ARGUMENT', `--adb must look like HOST:PORT or PORT (got "${text}").`);
  }
  const host = m[1] ?? m[2];
  return host ? { adbHost: host, adbPort: port } : { adbPort: port };
}

function sourceText(v: EffectiveValue<unknown>): string {
  if (v.source === 'env') return `from ${v.envVar}, overrides the settings`;
  return v.source === 'settings' ? 'from the settings' : 'default';
}

function printRunners(r: RunnersInspection | null, error: SerializedError | null): void {
  if (error) {
    process.stdout.write(`Runners check   ${error.code}: ${error.message}\n`);
    return;
  }
  if (!r) return;
  if (r.abis.length === 0) {
    process.stdout.write('Runners check   no ABI folders (expected e.g. arm64-v8a/onnxruntime_perf_test)\n');
    return;
  }
  process.stdout.write('Runners check\n');
  for (const a of r.abis) {
    const backends = [a.qnn.gpu ? 'GPU' : '', a.qnn.npu ? 'NPU' : ''].filter(Boolean).join('+') || '—';
    process.stdout.write(
      `  ${a.abi.padEnd(12)} binary ${a.binary ? 'yes' : 'NO '}  version ${(a.version ?? 'unknown').padEnd(8)}  QNN ${backends.padEnd(7)}  libs ${a.libs.join(', ') || '—'}\n`,
    );
    for (const w of a.warnings) process.stdout.write(`    ! ${w.code}: ${w.message}\n`);
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('settings')
    .description('Show or change the settings: on-device runners folder and adb server address.')
    .option('--runners <dir>', 'set the runners folder (<abi>/onnxruntime_perf_test + libraries; docs/runners.md)')
    .option('--adb <host:port>', 'set the adb server address (HOST:PORT, or PORT for this computer)')
    .option('--unset <key>', `clear a setting (${UNSET_KEYS.join(' or ')}); repeatable`, collect)
    .option('--json', 'print JSON')
    .action(async (flags: SettingsFlags) => {
      await runCommand(ctx, !!flags.json, async () => {
        const update: SettingsUpdate = {};
        for (const key of flags.unset ?? []) {
          if (key === 'runners') update.runnersDir = null;
          else if (key === 'adb') Object.assign(update, { adbHost: null, adbPort: null });
          else throw new PqvError('INVALID_ARGUMENT', `--unset takes ${UNSET_KEYS.join(' or ')} (got "${key}").`);
        }
        if (flags.runners !== undefined) update.runnersDir = flags.runners;
        if (flags.adb !== undefined) Object.assign(update, parseAdbAddress(flags.adb));
        if (Object.keys(update).length > 0) updateSettings(update);
        const info = settingsInfo();
        let runners: RunnersInspection | null = null;
        let runnersError: SerializedError | null = null;
        try {
          runners = await inspectRunners(info.effective.runnersDir.value);
        } catch (e) {
          runnersError = serializeError(e);
        }
        if (flags.json) {
          printJson({ ...info, runners: runners ?? { error: runnersError } });
          return;
        }
        const { runnersDir, adbHost, adbPort } = info.effective;
        const lines = [
          `Settings file   ${info.file}`,
          `Runners folder  ${runnersDir.value}  (${sourceText(runnersDir)})`,
          `adb server      ${adbHost.value}:${adbPort.value}  (host: ${sourceText(adbHost)}; port: ${sourceText(adbPort)})`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
        printRunners(runners, runnersError);
      });
    });
}
