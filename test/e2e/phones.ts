/**
 * Virtual phones for end-to-end tests: a private real adb server (random port, ADB_MDNS=0) with simulated phones
 * `adb connect`-ed to it, a runners folder with the on-device benchmark stand-in, and the environment that points
 * browser mode at them (PQV_ADB_PORT, PQV_RUNNERS).
 */
import { rmSync } from 'node:fs';
import { VirtualPhone } from '../virtual-phone/adbd.js';
import { connectPhone, makeRunnersDir, startAdbServer, type AdbServerHandle } from '../virtual-phone/harness.js';

export interface PhoneRig {
  server: AdbServerHandle;
  phones: VirtualPhone[];
  /** Environment for the browser-mode server. */
  env: Record<string, string>;
  /** `adb disconnect` the phone (like pulling its cable). */
  unplug(phone: VirtualPhone): Promise<void>;
  /** `adb connect` it again. */
  plug(phone: VirtualPhone): Promise<void>;
  stop(): Promise<void>;
}

/** Start the adb server and `count` phones (profiles alternate Pixel 8 / Pixel 7a), all connected. */
export async function startPhoneRig(count = 2): Promise<PhoneRig> {
  const server = await startAdbServer();
  const phones: VirtualPhone[] = [];
  for (let i = 0; i < count; i++) phones.push(await new VirtualPhone({ index: i }).start());
  for (const p of phones) await connectPhone(server, p);
  const runners = makeRunnersDir();
  return {
    server,
    phones,
    env: { PQV_ADB_PORT: String(server.port), PQV_RUNNERS: runners, ADB_MDNS: '0' },
    unplug: async (p) => {
      await server.adb(['disconnect', p.serial]);
    },
    plug: async (p) => {
      await connectPhone(server, p);
    },
    stop: async () => {
      await server.stop();
      for (const p of phones) await p.stop();
      rmSync(runners, { recursive: true, force: true });
    },
  };
}
