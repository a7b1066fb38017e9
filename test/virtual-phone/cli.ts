/**
 * Start virtual phones for manual use: `npm run virtual-phone -- --count 2 [--adb-port 5037]
 * [--slow BYTES_PER_S] [--disconnect-after BYTES] [--crash] [--no-space] [--unauthorized] [--offline]`.
 * Connects them to the adb server (started if needed) and prints their serials; Ctrl-C stops them.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { VirtualPhone } from './adbd.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1' },
    'adb-port': { type: 'string' },
    slow: { type: 'string' },
    'disconnect-after': { type: 'string' },
    crash: { type: 'boolean', default: false },
    'no-space': { type: 'boolean', default: false },
    unauthorized: { type: 'boolean', default: false },
    offline: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'virtual-phone --count N [--adb-port P] [--slow BYTES_PER_S] [--disconnect-after BYTES] [--crash] [--no-space] [--unauthorized] [--offline]\n',
  );
  process.exit(0);
}

const port = values['adb-port'] ?? process.env.PQV_ADB_PORT ?? '5037';
const env = { ...process.env, ADB_MDNS: process.env.ADB_MDNS ?? '0' };
const adb = (args: string[]): Promise<string> =>
  new Promise((resolve) =>
    execFile('adb', ['-P', port, ...args], { env, timeout: 15_000 }, (_e, out, err) => resolve(`${out}${err}`.trim())),
  );

const phones: VirtualPhone[] = [];
await adb(['start-server']);
for (let i = 0; i < Number(values.count); i++) {
  const phone = await new VirtualPhone({
    index: i,
    faults: {
      bytesPerSecond: values.slow ? Number(values.slow) : null,
      disconnectAfterBytes: values['disconnect-after'] ? Number(values['disconnect-after']) : null,
      runnerCrash: values.crash,
      noSpace: values['no-space'],
      unauthorized: values.unauthorized,
      offline: values.offline,
    },
  }).start();
  phones.push(phone);
  if (values.offline) void adb(['connect', phone.serial]);
  else process.stderr.write(`${await adb(['connect', phone.serial])}\n`);
  process.stdout.write(`${phone.serial}\t${phone.profile.props['ro.product.model']}\tdata: ${phone.dataDir}\n`);
}
process.stderr.write(`adb server port ${port}; Ctrl-C to stop.\n`);
const serverUp = (): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: Number(port) });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
const stop = async (): Promise<void> => {
  // `adb disconnect` would start a new server if it is gone; only ask a running one.
  const up = await serverUp();
  for (const p of phones) {
    if (up) await adb(['disconnect', p.serial]);
    await p.stop();
  }
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
