/**
 * Operator placement from an ONNX Runtime profile (`-p`): a Chrome-trace JSON array whose `Node`
 * events are named `<node>_kernel_time` (also `_fence_before`/`_fence_after`) and carry
 * `args.provider` and `args.op_name`. Each node counts once.
 */
import { PqvError } from '../../../common/errors.js';

export interface Placement {
  /** Share of nodes per execution provider (sums to 1). */
  shares: Record<string, number>;
  /** Node count per provider. */
  nodes: Record<string, number>;
  /** Op types per provider. */
  ops: Record<string, string[]>;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  args?: { provider?: string; op_name?: string };
}

export function parseProfilePlacement(json: string): Placement {
  let events: unknown;
  try {
    events = JSON.parse(json);
  } catch (e) {
    throw new PqvError('BENCH_OUTPUT_UNPARSABLE', `The runtime profile is not valid JSON: ${(e as Error).message}`);
  }
  const list: TraceEvent[] = Array.isArray(events)
    ? (events as TraceEvent[])
    : ((events as { traceEvents?: TraceEvent[] }).traceEvents ?? []);
  const byNode = new Map<string, { provider: string; op: string }>();
  for (const e of list) {
    if (e.cat !== 'Node' || !e.args?.provider || !e.name) continue;
    const node = e.name.replace(/_(kernel_time|fence_before|fence_after)$/, '');
    if (!byNode.has(node)) byNode.set(node, { provider: e.args.provider, op: e.args.op_name ?? '?' });
  }
  const nodes: Record<string, number> = {};
  const ops: Record<string, Set<string>> = {};
  for (const { provider, op } of byNode.values()) {
    nodes[provider] = (nodes[provider] ?? 0) + 1;
    (ops[provider] ??= new Set()).add(op);
  }
  const total = byNode.size;
  const shares: Record<string, number> = {};
  for (const [p, n] of Object.entries(nodes)) shares[p] = total ? n / total : 0;
  return { shares, nodes, ops: Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, [...v].sort()])) };
}
