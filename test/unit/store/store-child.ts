// Second process for the store tests: opens the database, records one run, prints what it sees, and then
// either closes cleanly or dies without closing (`kill`), like a crashed app.
import { ResultsStore } from '../../../src/main/engine/store/results-store.js';

const [dbFile, mode, sha] = process.argv.slice(2) as [string, 'close' | 'kill', string];
const store = ResultsStore.open(dbFile);
const id = store.recordRun({ modelSha256: sha, device: 'host', backend: 'host', status: 'ok', result: { p50Ms: 1.5 } });
process.stdout.write(`${JSON.stringify({ id, runs: store.listRuns().map((r) => r.modelSha256) })}\n`);
if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
store.close();
