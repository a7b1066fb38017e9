#!/usr/bin/env node
// PQV Studio command-line entry: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

register();
const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(pathToFileURL(join(here, '..', 'src', 'main', 'cli', 'main.ts')).href);
process.exitCode = await main(process.argv);
