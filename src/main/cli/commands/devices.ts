/**
 * `pqv devices`: this computer plus every phone adb sees, with state, next step and facts
 * (model, SoC, ABIs, Android, RAM, battery, thermal, big cores). `--connect HOST:PORT` adds a remote
 * phone first; `--clean SERIAL` removes this app's files from a phone.
 */
import type { Command } from 'commander';
import type { DeviceInfo } from '../../../common/types/devices.js';
import { printJson, runCommand, type CliContext } from '../output.js';
import { adbClient, type AdbServerOptions } from '../../engine/devices/adb-server.js';
import { connectRemote, hostDevice, listPhones } from '../../engine/devices/discovery.js';
import { readDeviceFacts } from '../../engine/devices/facts.js';
import { cleanupDevice } from '../../engine/devices/deploy.js';

interface DevicesFlags {
  json?: boolean;
  adbHost?: string;
  adbPort?: string[];
  connect?: string[];
  facts: boolean;
  clean?: string;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function describe(d: DeviceInfo): string {
  const f = d.facts;
  const what = f
    ? `${f.manufacturer} ${f.model} · ${f.soc} · ${f.abis[0] ?? '?'}${f.sdk ? ` · Android ${f.androidVersion} (SDK ${f.sdk})` : ''}`
    : (d.model ?? '');
  const extra =
    f && d.state === 'device'
      ? ` · RAM ${f.ramBytes ? (f.ramBytes / 2 ** 30).toFixed(1) : '?'} GiB · battery ${f.batteryLevel ?? '?'}% ${f.batteryTempC ?? '?'}°C · thermal ${f.thermalStatus ?? '?'} · big cores ${f.bigCores.join(',')}`
      : '';
  return `${d.serial.padEnd(22)} ${d.state.padEnd(13)} ${what}${extra}${d.hint ? `\n${' '.repeat(23)}→ ${d.hint}` : ''}`;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('devices')
    .description('List this computer and the Android phones adb sees, with what to do for unusable ones.')
    .option('--json', 'print JSON')
    .option('--adb-host <host>', 'adb server host (default: ADB_SERVER_SOCKET or 127.0.0.1)')
    .option(
      '--adb-port <port>',
      'adb server port; repeat for several servers (default: PQV_ADB_PORT, ADB_SERVER_SOCKET or 5037)',
      collect,
    )
    .option('--connect <host:port>', 'adb connect a remote phone first; repeatable', collect)
    .option('--no-facts', 'skip reading model/SoC/battery facts from the phones')
    .option('--clean <serial>', 'remove everything PQV Studio put on that phone (/data/local/tmp/pqv)')
    .action(async (flags: DevicesFlags) => {
      await runCommand(ctx, !!flags.json, async () => {
        const servers: AdbServerOptions[] = (flags.adbPort?.length ? flags.adbPort : [undefined]).map((p) => ({
          host: flags.adbHost,
          port: p === undefined ? undefined : Number(p),
        }));
        for (const target of flags.connect ?? []) await connectRemote(target, servers[0]);
        if (flags.clean) {
          await cleanupDevice(await adbClient(servers[0]), flags.clean, { signal: ctx.signal });
          if (flags.json) printJson({ cleaned: flags.clean });
          else process.stdout.write(`Removed /data/local/tmp/pqv from ${flags.clean}.\n`);
          return;
        }
        const phones = await listPhones(servers);
        if (flags.facts) {
          for (const [i, p] of phones.entries()) {
            if (p.state !== 'device') continue;
            const client = await adbClient(servers.find((s) => p.server?.endsWith(`:${s.port ?? ''}`)) ?? servers[0]);
            try {
              p.facts = await readDeviceFacts(client, p.serial, ctx.signal);
              p.model = p.facts.model;
            } catch (e) {
              phones[i] = { ...p, hint: `Could not read facts: ${(e as Error).message}` };
            }
          }
        }
        const all = [hostDevice(), ...phones];
        if (flags.json) printJson({ devices: all });
        else {
          process.stdout.write(`${all.map(describe).join('\n')}\n`);
          if (phones.length === 0)
            process.stdout.write(
              'No phones found: enable USB debugging and plug one in, or use --connect HOST:PORT.\n',
            );
        }
      });
    });
}
