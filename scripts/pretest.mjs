#!/usr/bin/env node
// Checks the system tools the tests and PDF reports need: Chromium (reports, end-to-end tests), adb (phones),
// pdftotext/pdftoppm (poppler-utils, report checks). Installs missing ones with apt-get when running as root on a
// Debian/Ubuntu system; otherwise prints the exact command to run and fails.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.PQV_CHROMIUM || '/usr/bin/chromium';
const checks = [
  { what: 'Chromium', pkg: 'chromium', ok: () => existsSync(chromium) },
  { what: 'adb', pkg: 'adb', ok: () => onPath('adb') },
  { what: 'pdftotext', pkg: 'poppler-utils', ok: () => onPath('pdftotext') },
  { what: 'pdftoppm', pkg: 'poppler-utils', ok: () => onPath('pdftoppm') },
];

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function missingPackages() {
  return [...new Set(checks.filter((c) => !c.ok()).map((c) => c.pkg))];
}

let missing = missingPackages();
if (missing.length === 0) {
  console.log('pretest: chromium, adb and poppler-utils are present.');
  process.exit(0);
}
const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && onPath('apt-get')) {
  console.log(`pretest: installing ${missing.join(', ')} …`);
  const r = spawnSync('sh', ['-c', command], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  missing = missingPackages();
  if (r.status === 0 && missing.length === 0) {
    console.log('pretest: system dependencies installed.');
    process.exit(0);
  }
}
console.error(`pretest: missing system packages: ${missing.join(', ')}.\nInstall them with:\n  sudo ${command}`);
process.exit(1);
