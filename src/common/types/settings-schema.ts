/** zod schemas of the user settings file and of a settings change (shared by the API and the settings store). */
import { z } from 'zod';

const runnersDir = z.string().min(1).max(4096);
const adbHost = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:[\]-]+$/, 'must be a host name or an IP address');
const adbPort = z.number().int().min(1).max(65535);

/** The settings file. Unknown keys are dropped, so a file written by a newer version still loads. */
export const userSettingsSchema = z.object({
  runnersDir: runnersDir.optional(),
  adbHost: adbHost.optional(),
  adbPort: adbPort.optional(),
});

/** A change: a value sets the field, `null` clears it, an absent field stays. */
export const settingsUpdateSchema = z
  .object({
    runnersDir: runnersDir.nullable().optional(),
    adbHost: adbHost.nullable().optional(),
    adbPort: adbPort.nullable().optional(),
  })
  .strict();
