/** Builds runners folders for the settings tests: `<root>/<abi>/<files>` with small stand-in contents. */
import fs from 'node:fs';
import path from 'node:path';

/** Create `root` with one folder per ABI holding `files`; a `VERSION` entry is written as `VERSION=<v>`. */
export function makeRunners(root: string, abis: Record<string, string[]>): string {
  for (const [abi, files] of Object.entries(abis)) {
    const dir = path.join(root, abi);
    fs.mkdirSync(dir, { recursive: true });
    for (const f of files) {
      const [name, version] = f.split('=');
      fs.writeFileSync(path.join(dir, name!), version !== undefined ? `${version}\n` : `${f} for ${abi}\n`);
    }
  }
  return root;
}
