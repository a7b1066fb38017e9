/**
 * Message protocol between a shell (the parent) and the service host (the child process that owns the `ApiService`
 * and so the engine). Messages are plain structured-cloneable objects, so they travel over an Electron utility
 * process port or a Node `fork` IPC channel (`serialization: 'advanced'`) alike.
 *
 *   parent → host   `call`           run API method `method` with `params`
 *                   `parent-result`  the answer to a `parent-call`
 *   host → parent   `ready`          sent once, when the host listens (the parent queues calls until then)
 *                   `result`/`error` the answer to a `call`
 *                   `event`          an `ApiEvent` pushed by the service (progress, devices, sweeps, job ends)
 *                   `parent-call`    ask the parent to do what only it can (print a PDF in Electron)
 *
 * Cancellation is the `job.cancel` API method, sent as an ordinary `call`.
 */
import type { SerializedError } from '../../common/errors.js';
import type { ApiEvent } from '../../common/api.js';

/** Operations the host may ask its parent to perform, with their arguments and results. */
export interface ParentOps {
  /** Write `html` as a PDF at `outPath` (Electron: `webContents.printToPDF`). */
  exportPdf(html: string, outPath: string): Promise<void>;
}

export type ParentOp = keyof ParentOps;

export interface CallMessage {
  kind: 'call';
  id: number;
  method: string;
  params: unknown;
}

export type ParentResultMessage =
  | { kind: 'parent-result'; id: number; ok: true; value: unknown }
  | { kind: 'parent-result'; id: number; ok: false; error: SerializedError };

/** Everything the parent sends to the host. */
export type ToHostMessage = CallMessage | ParentResultMessage;

export interface ResultMessage {
  kind: 'result';
  id: number;
  value: unknown;
}

export interface ErrorMessage {
  kind: 'error';
  id: number;
  error: SerializedError;
}

export interface EventMessage {
  kind: 'event';
  event: ApiEvent;
}

export interface ParentCallMessage<Op extends ParentOp = ParentOp> {
  kind: 'parent-call';
  id: number;
  op: Op;
  args: Parameters<ParentOps[Op]>;
}

/** Everything the host sends to the parent. */
export type FromHostMessage = { kind: 'ready' } | ResultMessage | ErrorMessage | EventMessage | ParentCallMessage;

/** Command-line flags of the host entry (`service-host-main`). */
export interface HostArgs {
  mode: 'electron' | 'browser' | 'cli';
  /** Operations the parent implements; the host routes them through `parent-call`. */
  parentOps: ParentOp[];
}

const PARENT_OPS: readonly ParentOp[] = ['exportPdf'];

/** `--mode=electron --parent-ops=exportPdf` ⇄ `HostArgs`. */
export function formatHostArgs(args: HostArgs): string[] {
  return [`--mode=${args.mode}`, `--parent-ops=${args.parentOps.join(',')}`];
}

export function parseHostArgs(argv: readonly string[]): HostArgs {
  const value = (name: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const mode = value('mode');
  const ops = (value('parent-ops') ?? '').split(',').filter((o): o is ParentOp => PARENT_OPS.includes(o as ParentOp));
  return { mode: mode === 'browser' || mode === 'cli' ? mode : 'electron', parentOps: ops };
}

/** Loose runtime guard for messages arriving at either side (they come from our own code, but never trust shape). */
export function isMessage(m: unknown): m is { kind: string; id?: number } {
  return typeof m === 'object' && m !== null && typeof (m as { kind?: unknown }).kind === 'string';
}
