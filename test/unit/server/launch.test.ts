import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { electronBinary, electronUnavailableReason } from '../../../src/main/launch.js';

describe('launch', () => {
  const present = (): string => process.execPath; // any existing file stands in for the Electron binary
  it('falls back to browser mode without a display on Linux', () => {
    expect(electronUnavailableReason({}, 'linux', present)).toMatch(/no display/);
    expect(electronUnavailableReason({ DISPLAY: ':0' }, 'linux', present)).toBeNull();
    expect(electronUnavailableReason({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux', present)).toBeNull();
    expect(electronUnavailableReason({}, 'darwin', present)).toBeNull();
  });
  it('falls back when the Electron binary cannot be found', () => {
    const missing = (): string => {
      throw new Error(
        'Electron failed to install correctly, please delete node_modules/electron and try installing again',
      );
    };
    const env = { DISPLAY: ':0', PQV_ELECTRON_DOWNLOAD: '0' };
    expect(electronUnavailableReason(env, 'linux', missing)).toMatch(
      /not installed and could not be downloaded \(Electron failed to install correctly/,
    );
    expect(electronUnavailableReason(env, 'linux', () => '/no/such/electron')).toMatch(/not installed/);
  });
  it('finds the Electron binary through the package without downloading it', () => {
    const dist = mkdtempSync(join(tmpdir(), 'pqv-electron-'));
    expect(() => electronBinary({ ELECTRON_OVERRIDE_DIST_PATH: dist })).toThrow(/not installed/);
    writeFileSync(join(dist, 'electron'), '');
    expect(electronBinary({ ELECTRON_OVERRIDE_DIST_PATH: dist })).toBe(join(dist, 'electron'));
    rmSync(dist, { recursive: true, force: true });
  });
});
