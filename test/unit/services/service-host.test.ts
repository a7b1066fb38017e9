/**
 * The service host in a real child process (Node `fork`, the same entry the desktop shell runs as a utility
 * process), driven through `ServiceClient`: real engine results, progress events, cancellation, a parent-call round
 * trip, and a host that dies mid-call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PqvError } from '../../../src/common/errors.js';
import type { ApiEvent } from '../../../src/common/api.js';
import { formatHostArgs, type ParentOps } from '../../../src/main/services/host-protocol.js';
import { ServiceClient, type HostChild } from '../../../src/main/services/service-client.js';
import { demoPaths } from '../../../src/main/services/paths.js';

const entry = fileURLToPath(new URL('../../../src/main/services/service-host-main.ts', import.meta.url));
const model = demoPaths().modelPath;
// Made at load time: hosts started while tests are collected must already see it.
const home = mkdtempSync(join(tmpdir(), 'pqv-host-'));

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

/** Start hosts with `fork`; `children` lists every process started, latest last. */
function nodeHost(children: ChildProcess[]): () => HostChild {
  return () => {
    const child = fork(entry, formatHostArgs({ mode: 'electron', parentOps: ['exportPdf'] }), {
      execArgv: ['--import', import.meta.resolve('tsx')],
      env: { ...process.env, PQV_HOME: home },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    children.push(child);
    return {
      send: (m) => child.send(m),
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.once('exit', (code) => listener(code)),
      kill: () => child.kill(),
    };
  };
}

function makeClient(parent: Partial<ParentOps> = {}): { client: ServiceClient; children: ChildProcess[] } {
  const children: ChildProcess[] = [];
  return { client: new ServiceClient({ spawn: nodeHost(children), parent }), children };
}

/** Events of one job, and a promise of its first progress event. */
function watchJob(client: ServiceClient, jobId: string): { events: ApiEvent[]; firstProgress: Promise<void> } {
  const events: ApiEvent[] = [];
  let seen: () => void = () => undefined;
  const firstProgress = new Promise<void>((r) => (seen = r));
  client.onEvent((e) => {
    if ((e.type === 'job.progress' || e.type === 'job.finished') && e.jobId === jobId) events.push(e);
    if (e.type === 'job.progress' && e.jobId === jobId) seen();
  });
  return { events, firstProgress };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof PqvError ? e.code : `not a PqvError: ${String(e)}`;
  }
}

describe('service host (child process)', () => {
  const pdfCalls: { html: string; outPath: string }[] = [];
  let client: ServiceClient;
  beforeAll(() => {
    client = makeClient({
      exportPdf: async (html, outPath) => {
        pdfCalls.push({ html, outPath });
        writeFileSync(outPath, `%PDF-fake ${html.length}`);
      },
    }).client;
  });
  afterAll(() => client.close());

  it('answers app.info and model.inspect with real engine results', async () => {
    const info = await client.call('app.info', {});
    expect(info.mode).toBe('electron');
    expect(info.dataDir).toBe(home);
    expect(process.env.PQV_HOME).not.toBe(home);
    expect(info.host.cpuCount).toBeGreaterThan(0);
    const summary = await client.call('model.inspect', { path: model });
    expect(summary.opset).toBe(17);
    expect(summary.inputs[0]?.name).toBe('pixel_values');
    expect(summary.outputs[0]?.name).toBe('logits');
    expect(summary.params).toBeGreaterThan(1_000_000);
    expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Errors cross the boundary with their code.
    expect(await codeOf(client.call('model.inspect', { path: join(home, 'missing.onnx') }))).toBe('FILE_NOT_FOUND');
  });

  it('streams progress of a host benchmark before its result', async () => {
    const { events } = watchJob(client, 'bench-1');
    const bench = await client.call('bench.run', {
      jobId: 'bench-1',
      modelPath: model,
      device: 'host',
      backend: 'host',
      runs: 5,
      warmup: 1,
      threads: 1,
    });
    expect(bench.status).toBe('ok');
    expect(bench.bench?.runs).toBe(5);
    expect(bench.bench?.p50Ms).toBeGreaterThan(0);
    const progress = events.filter((e) => e.type === 'job.progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ type: 'job.finished', jobId: 'bench-1', status: 'ok' });
  });

  it('cancels a running job through job.cancel', async () => {
    const { events, firstProgress } = watchJob(client, 'bench-cancel');
    const run = client.call('bench.run', {
      jobId: 'bench-cancel',
      modelPath: model,
      device: 'host',
      backend: 'host',
      runs: 10_000,
      warmup: 1,
      threads: 1,
    });
    const outcome = codeOf(run);
    await firstProgress;
    expect(await client.call('job.cancel', { jobId: 'bench-cancel' })).toEqual({ cancelled: true });
    expect(await outcome).toBe('CANCELLED');
    expect(events.at(-1)).toMatchObject({ type: 'job.finished', status: 'cancelled' });
    expect(await client.call('job.cancel', { jobId: 'bench-cancel' })).toEqual({ cancelled: false });
  });

  it('routes PDF export to the parent and back', async () => {
    const file = await client.call('report.pdf', {});
    expect(pdfCalls).toHaveLength(1);
    const call = pdfCalls[0]!;
    expect(call.outPath).toBe(file.path);
    expect(call.html).toContain('<html');
    expect(readFileSync(file.path, 'utf8')).toBe(`%PDF-fake ${call.html.length}`);
    expect(file.bytes).toBe(readFileSync(file.path).length);
  });
});

describe('service host crash', () => {
  it('fails the call in flight with ENGINE_CRASHED and restarts the host', async () => {
    const { client, children } = makeClient();
    try {
      // A parent-call the shell does not implement comes back as an error, not a hang.
      expect(await codeOf(client.call('report.pdf', {}))).toBe('INTERNAL');
      const { events, firstProgress } = watchJob(client, 'bench-crash');
      const run = codeOf(
        client.call('bench.run', {
          jobId: 'bench-crash',
          modelPath: model,
          device: 'host',
          backend: 'host',
          runs: 2000,
          warmup: 1,
          threads: 1,
        }),
      );
      await firstProgress;
      children[0]!.kill('SIGKILL');
      expect(await run).toBe('ENGINE_CRASHED');
      expect(events.at(-1)).toMatchObject({
        type: 'job.finished',
        jobId: 'bench-crash',
        status: 'failed',
        error: { code: 'ENGINE_CRASHED' },
      });
      // A fresh host answers the next call.
      expect((await client.call('app.info', {})).mode).toBe('electron');
      expect(children).toHaveLength(2);
    } finally {
      client.close();
    }
  });
});
